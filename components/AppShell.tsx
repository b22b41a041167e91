"use client";
import { useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, type ReactNode } from "react";
import { api } from "../lib/api";
import { useSessionQuery } from "../lib/queries";
import { useLiveStore } from "./Providers";

/** Page frame for signed-in pages: navigation, connection state, and a redirect to /login. */
export function AppShell({ title, children }: { title: string; children: ReactNode }) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const session = useSessionQuery();
  const isSignedIn = session.data?.authenticated === true;
  const live = useLiveStore(isSignedIn);
  useEffect(() => {
    if (session.data && !session.data.authenticated && !session.isFetching) router.replace("/login");
  }, [session.data, session.isFetching, router]);
  if (!isSignedIn) return <main className="muted">Checking session…</main>;
  return (
    <>
      <header className="top">
        <strong>Precache</strong>
        <nav>
          <Link href="/images">Images</Link>
          <Link href="/hypervisors">Hypervisors</Link>
          <Link href="/topology">Topology</Link>
          <Link href="/cleanup">Cleanup</Link>
        </nav>
        <span className="muted" data-testid="live-status">{live.isConnected ? "● live" : "○ connecting…"}</span>
        <button
          className="secondary"
          onClick={async () => {
            await api("DELETE", "/api/session");
            live.disconnect();
            queryClient.setQueryData(["session"], { authenticated: false });
            router.replace("/login");
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        <h1>{title}</h1>
        {children}
      </main>
    </>
  );
}
