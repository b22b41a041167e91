"use client";
// One rollout's page: its story (components/RolloutDetail.tsx), live from the socket.
import { AppShell } from "./AppShell";
import { RolloutDetail } from "./RolloutDetail";

export function RolloutPage({ id }: { id: string }) {
  return (
    <AppShell title="Rollout">
      <RolloutDetail id={id} />
    </AppShell>
  );
}
