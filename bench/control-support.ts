// What the control benchmarks share: waiting for a rollout while sampling the fleet, and the
// database rows written, read from Postgres's own statistics.
import type pg from "pg";
import { sleep } from "./bench-support.ts";
import type { SimulatedFleet } from "./simulated-fleet.ts";
import type { UiListener } from "./ui-listener.ts";

/** Rows one target costs: its insert, 3 target updates (claim, done, …) and 3 cell writes, +1 slack. */
export const STATE_ROWS_PER_AGENT = 7;
export const PROGRESS_FLUSH_SECONDS = 5;

export type FleetSample = { at: number; commands: number; finished: number };

/** Polls until the rollout leaves "running" (as `ui` sees it), noting when every agent was commanded and finished. */
export async function waitForRollout(
  ui: Pick<UiListener, "rolloutStates">,
  fleet: Pick<SimulatedFleet, "connected" | "counters">,
  id: string,
  since: number,
  timeoutMs: number,
) {
  const milestones = {
    allCommanded: null as number | null,
    allFinished: null as number | null,
    state: "running",
    fleet: [] as FleetSample[],
  };
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const elapsed = (performance.now() - since) / 1000;
    if (milestones.allCommanded === null && fleet.counters.commands >= fleet.connected) milestones.allCommanded = elapsed;
    if (milestones.allFinished === null && fleet.counters.finished >= fleet.connected) milestones.allFinished = elapsed;
    if (milestones.fleet.length === 0 || Date.now() - milestones.fleet.at(-1)!.at >= 1000)
      milestones.fleet.push({ at: Date.now(), commands: fleet.counters.commands, finished: fleet.counters.finished });
    const state = ui.rolloutStates.get(id);
    if (state && state !== "running") return { ...milestones, state };
    await sleep(100);
  }
  return { ...milestones, state: `still running after ${timeoutMs / 1000} s` };
}

// ---- database writes ----

export type TableWrites = Map<string, number>;

/**
 * Rows inserted, updated and deleted so far, per table. Postgres publishes a backend's counts at
 * most once a second, and an idle backend's only after 10 s: read after 11 s of quiet.
 */
export async function settledWrites(client: pg.Client): Promise<TableWrites> {
  await sleep(11_000);
  await client.query("SELECT pg_stat_clear_snapshot()");
  const { rows } = await client.query<{ relname: string; n: string }>(
    "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del AS n FROM pg_stat_user_tables",
  );
  return new Map(rows.map((row) => [row.relname, Number(row.n)]));
}

export function writesBetween(before: TableWrites, after: TableWrites): { total: number; byTable: string } {
  const changed = [...after].map(([table, n]) => [table, n - (before.get(table) ?? 0)] as const).filter(([, n]) => n > 0);
  return {
    total: changed.reduce((sum, [, n]) => sum + n, 0),
    byTable: changed.map(([table, n]) => `${table} ${n}`).join(", ") || "none",
  };
}

// ---- small helpers ----

export function fmt(value: number | null): string {
  return value === null ? "never" : `${value.toFixed(1)} s`;
}

export function summarize(reasons: string[]): string {
  const counts = new Map<string, number>();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n}× ${reason}`).join("; ");
}
