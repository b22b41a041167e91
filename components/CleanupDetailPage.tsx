"use client";
// One cleanup's page: its outcomes (components/CleanupDetail.tsx), live from the socket.
import { AppShell } from "./AppShell";
import { CleanupDetail } from "./CleanupDetail";

export function CleanupDetailPage({ id }: { id: string }) {
  return (
    <AppShell title="Cleanup">
      <CleanupDetail id={id} />
    </AppShell>
  );
}
