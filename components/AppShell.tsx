"use client";
import { useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, type ReactNode } from "react";
import { api } from "../lib/api";
import { sessionInfo } from "../protocol/api/access";
import { useSessionQuery } from "../lib/queries";
import { loginHref } from "../lib/return-path";
import { useLiveStore } from "./Providers";
import { ThemeToggle } from "./ThemeToggle";

/**
 * Page frame for signed-in pages: navigation, connection state, and a redirect to /login.
 * The page, its queries and the live socket start at once rather than after a session round trip
 * (the socket and the API check the cookie themselves); a refused session or socket sends the
 * browser to /login.
 */
export function AppShell({ title, children }: { title: string; children: ReactNode }) {
  const router = useRouter();
  const pathname = usePathname();
  const queryClient = useQueryClient();
  const session = useSessionQuery();
  const live = useLiveStore();
  const isSignedOut = (session.data && !session.data.authenticated && !session.isFetching) || live.isUnauthorized;
  useEffect(() => {
    // The page asked for (with its filters) survives sign-in: /login?next=… brings the operator back.
    if (isSignedOut) router.replace(loginHref(pathname, window.location.search));
  }, [isSignedOut, router, pathname]);
  if (isSignedOut) return <main className="muted">Signed out: taking you to the sign-in page…</main>;
  return (
    <>
      <header className="top">
        <strong>Precache</strong>
        <nav>
          <Link href="/images">Images</Link>
          <Link href="/rollouts">Rollouts</Link>
          <Link href="/hypervisors">Hypervisors</Link>
          <Link href="/topology">Topology</Link>
          <Link href="/cleanup">Cleanup</Link>
          <Link href="/audit">Audit</Link>
          <Link href="/access">Access</Link>
          <Link href="/agents">Agents</Link>
        </nav>
        {session.data?.user && (
          <span className="muted" data-testid="signed-in-as">
            {session.data.user.name} · {session.data.user.role}
          </span>
        )}
        <span className="muted" data-testid="live-status">
          {live.isConnected ? "● live" : "○ connecting…"}
        </span>
        <ThemeToggle />
        <button
          type="button"
          className="secondary"
          onClick={async () => {
            await api("DELETE", "/api/session", sessionInfo);
            live.disconnect();
            queryClient.clear(); // nothing of this session stays in memory
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
