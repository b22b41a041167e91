// The side-by-side table of control-cluster: one column per run (baseline, cluster per adapter),
// the ratio of each cluster run to the baseline, and the targets met or MISSED per run.
import { fmt } from "./control-support.ts";
import type { UiReport } from "./ui-listener.ts";

export type RunResult = {
  label: string;
  agents: number;
  /** Per server: CPU cores used from the POST to the rollout's end, peak RSS since it started. */
  instances: { role: string; cores: number; peakRssMiB: number }[];
  /** Per /ui listener (the first on the server the rollout went through). */
  listeners: {
    at: string;
    p50: number;
    p99: number;
    relayedP99: number;
    samples: number;
    deltas: number;
    outOfOrder: UiReport["outOfOrder"];
  }[];
  /** Postgres adapter: messages over 8000 bytes (dashboard deltas) stored in its table, as left after the rollout. */
  attachments: string;
  rowsPerAgent: number;
  rowsByTable: string;
  allCommanded: number | null;
  allFinished: number | null;
  state: string;
  wallSeconds: number;
  done: number;
  commands: number;
  disconnects: number;
  loopDelayP99Ms: number;
};

const CORES_TARGET = 1;
const RSS_TARGET_MIB = 1024;
const P99_TARGET_MS = 1000;

export function printComparison(perInstance: number, results: RunResult[]): void {
  const [baseline] = results;
  const worstP99 = (result: RunResult) => Math.max(...result.listeners.map((listener) => listener.p99));
  const maxCores = (result: RunResult) => Math.max(...result.instances.map((instance) => instance.cores));
  const maxRss = (result: RunResult) => Math.max(...result.instances.map((instance) => instance.peakRssMiB));
  const perServer = (result: RunResult, show: (instance: RunResult["instances"][number]) => string) =>
    result.instances.map((instance) => `${instance.role} ${show(instance)}`).join(", ");
  const latency = (result: RunResult) =>
    result.listeners
      .map(
        (listener) =>
          `@${listener.at} ${ms(listener.p50)}/${ms(listener.p99)}` +
          (Number.isNaN(listener.relayedP99) ? "" : ` (relayed p99 ${ms(listener.relayedP99)})`),
      )
      .join("; ");
  const rows: [string, (result: RunResult) => string][] = [
    ["agents (done)", (r) => `${r.agents} (${r.done} done, ${r.commands} commands received, rollout ${r.state})`],
    ["cpu cores during rollout", (r) => perServer(r, (instance) => instance.cores.toFixed(2))],
    ["peak rss MiB", (r) => perServer(r, (instance) => String(instance.peakRssMiB))],
    ["browser latency p50/p99", latency],
    [
      "deltas; cells out of order",
      (r) =>
        r.listeners
          .map(({ at, deltas, outOfOrder: o }) => `@${at} ${deltas}; to 0 ${o.toZero}, back ${o.back}, after done ${o.afterDone}`)
          .join("; "),
    ],
    ["db rows per agent", (r) => r.rowsPerAgent.toFixed(1)],
    ["adapter attachments", (r) => r.attachments],
    ["all commanded / finished", (r) => `${fmt(r.allCommanded)} / ${fmt(r.allFinished)}`],
    ["lost connections", (r) => String(r.disconnects)],
    ["bench event-loop p99", (r) => `${r.loopDelayP99Ms.toFixed(0)} ms`],
  ];
  console.log(`\ncontrol-cluster ${perInstance} per instance, side by side:`);
  const width = Math.max(...rows.map(([name]) => name.length));
  for (const result of results) {
    console.log(`  [${result.label}]`);
    for (const [name, show] of rows) console.log(`    ${name.padEnd(width)}  ${show(result)}`);
    console.log(`    ${"db rows by table".padEnd(width)}  ${result.rowsByTable}`);
  }
  for (const result of results.slice(1)) {
    const ratio = (of: (r: RunResult) => number | null) => {
      const [a, b] = [of(result), of(baseline)];
      return a !== null && b !== null && b > 0 ? `${(a / b).toFixed(2)}×` : "?";
    };
    console.log(
      `ratio: ${result.label} vs baseline (2× the agents on 2 servers): busiest server cpu ${ratio(maxCores)}, ` +
        `peak rss ${ratio(maxRss)}, p99 ${ratio(worstP99)}, db rows per agent ${ratio((r) => r.rowsPerAgent)}, ` +
        `time to command all ${ratio((r) => r.allCommanded)}, to finish all ${ratio((r) => r.allFinished)}`,
    );
  }
  for (const result of results) {
    const verdict = (isMet: boolean) => (isMet ? "met" : "MISSED");
    console.log(
      `  targets ${result.label}: each server ≤ ${CORES_TARGET} core → ${verdict(maxCores(result) <= CORES_TARGET)} (${maxCores(result).toFixed(2)}); ` +
        `≤ 1 GiB rss → ${verdict(maxRss(result) <= RSS_TARGET_MIB)} (${maxRss(result)} MiB); ` +
        `p99 ≤ 1 s → ${verdict(worstP99(result) <= P99_TARGET_MS)} (${ms(worstP99(result))}); ` +
        `every agent done → ${verdict(result.done === result.agents && result.agents > 0)} (${result.done}/${result.agents})`,
    );
  }
}

function ms(value: number): string {
  return Number.isNaN(value) ? "?" : `${value.toFixed(0)} ms`;
}
