import type { ReactNode } from "react";
import "./globals.css";
import "./screens.css";
import { Providers } from "../components/Providers";
import { THEME_BOOT_SCRIPT } from "../lib/theme";

export const metadata = { title: "Precache", description: "VM images on every hypervisor before anyone asks" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    // The boot script sets data-theme before React hydrates: the attribute is expected to differ.
    <html lang="en" suppressHydrationWarning>
      <head>
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: a constant script, run before paint so a forced theme never flashes */}
        <script dangerouslySetInnerHTML={{ __html: THEME_BOOT_SCRIPT }} />
      </head>
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
