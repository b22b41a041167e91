import type { ReactNode } from "react";
import "./globals.css";
import { Providers } from "../components/Providers";

export const metadata = { title: "Precache", description: "VM images on every hypervisor before anyone asks" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
