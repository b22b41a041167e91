// The control plane under load: N simulated agents (real Socket.io connections speaking the real
// /agent protocol, but downloading nothing) against the production server on Postgres, one
// jitter rollout to all of them, and a /ui client timing agent → browser latency.
// `npm run bench -- control [1300|10000]`; both sizes by default.
import { monitorEventLoopDelay } from "node:perf_hooks";
import pg from "pg";
import { machine, percentile } from "./bench-support.ts";
import { sampleServer, startBenchServer, publishSample, type UsageSample } from "./bench-server.ts";
import { PROGRESS_TICKS, startSimulatedFleet, type SimulatedFleet } from "./simulated-fleet.ts";
import { startUiListener, type UiListener } from "./ui-listener.ts";
import {
  type FleetSample,
  fmt,
  PROGRESS_FLUSH_SECONDS,
  STATE_ROWS_PER_AGENT,
  settledWrites,
  summarize,
  waitForRollout,
  writesBetween,
} from "./control-support.ts";

export async function run(args: string[]): Promise<void> {
  const sizes = args.map(Number).filter((n) => Number.isInteger(n) && n > 0);
  console.log(`machine: ${machine()}`);
  for (const count of sizes.length ? sizes : [1300, 10_000]) await controlRun(count);
}

async function controlRun(count: number): Promise<void> {
  console.log(`\ncontrol ${count}: downloads simulated: no bytes moved; control plane only`);
  const t0 = Date.now();
  const started = performance.now();
  const server = await startBenchServer({ isPostgres: true });
  let fleet: SimulatedFleet | null = null;
  let ui: UiListener | null = null;
  const stats = new pg.Client({ connectionString: server.databaseUrl! });
  const sampler = sampleServer(server);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  try {
    console.log(`  server up in ${seconds(performance.now() - started)} (Postgres, fresh database)`);
    await stats.connect();
    ui = await startUiListener(server.url, t0);
    const connectCpu = server.usage();
    fleet = await startSimulatedFleet({
      url: server.url,
      count,
      batch: count > 2000 ? 500 : 100,
      slotOf: (index) => index % 10,
      bytesAt: () => Date.now() - t0, // the send time, increasing like real progress
    });
    const afterConnect = server.usage();
    console.log(
      `  connect: ${fleet.connected}/${count} agents said hello in ${fleet.connectSeconds.toFixed(1)} s ` +
        `(websocket, batches of ${count > 2000 ? 500 : 100}; server cpu ${cores(connectCpu, afterConnect, fleet.connectSeconds)} cores)` +
        (fleet.failures.length ? `; FAILED ${fleet.failures.length}: ${summarize(fleet.failures)}` : ""),
    );
    const image = await publishSample(server);
    const before = await settledWrites(stats);

    loopDelay.enable();
    const cpuBefore = server.usage();
    const rssAtPost = cpuBefore?.rssMiB;
    const postedAt = Date.now();
    const rolloutStarted = performance.now();
    const { rollout } = await server.api("POST", "/api/rollouts", { imageId: image.id, strategy: "jitter" });
    const postSeconds = (performance.now() - rolloutStarted) / 1000;
    const milestones = await waitForRollout(ui, fleet, rollout.id, rolloutStarted, 300_000);
    const wallSeconds = (performance.now() - rolloutStarted) / 1000;
    const cpuAfter = server.usage();
    const doneAt = Date.now();
    loopDelay.disable();
    const after = await settledWrites(stats);
    const { rollout: final } = await server.api("GET", `/api/rollouts/${rollout.id}`);
    const report = await ui.report();

    const rows = writesBetween(before, after);
    const perAgent = rows.total / count;
    const { progress, commands, finished } = fleet.counters;
    const cpu = cpuBefore && cpuAfter ? (cpuAfter.cpuSeconds - cpuBefore.cpuSeconds) / wallSeconds : NaN;
    const p50 = percentile(report.latencies, 0.5);
    const p99 = percentile(report.latencies, 0.99);
    const rowBound = STATE_ROWS_PER_AGENT + Math.ceil(PROGRESS_TICKS / PROGRESS_FLUSH_SECONDS) + 1;
    const deltaSeconds = report.lastDeltaAt > report.firstDeltaAt ? (report.lastDeltaAt - report.firstDeltaAt) / 1000 : 1;

    console.log(
      `  rollout: POST answered in ${postSeconds.toFixed(1)} s; commands ${commands}/${count} (all by ${fmt(milestones.allCommanded)}); ` +
        `finished ${finished}/${count} (all by ${fmt(milestones.allFinished)}); state ${milestones.state} at ${wallSeconds.toFixed(1)} s; ` +
        `targets ${JSON.stringify(final.counts)}`,
    );
    console.log(
      `  server cpu during the rollout: ${cpu.toFixed(2)} cores (${cpuAfter && cpuBefore ? (cpuAfter.cpuSeconds - cpuBefore.cpuSeconds).toFixed(1) : "?"} cpu-s over ${wallSeconds.toFixed(1)} s, POST → rollout ${milestones.state})`,
    );
    console.log(
      `  server rss peak: ${sampler.peakRssMiB()} MiB (sampled every 500 ms from server start; ${rssAtPost} MiB when the rollout began)`,
    );
    console.log(
      `  agent → browser latency: p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${percentile(report.latencies, 1).toFixed(0)} ms ` +
        `(${report.latencies.length} samples: newest progress value per cell per delta; /ui client in a worker thread)`,
    );
    console.log(
      `  deltas to the browser: ${report.deltas} (${(report.deltas / deltaSeconds).toFixed(1)}/s), ${Math.round(report.cells / Math.max(1, report.deltas))} cells each on average`,
    );
    console.log(
      `  bench process event-loop delay during the rollout: p50 ${(loopDelay.percentile(50) / 1e6).toFixed(0)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms (the load generator's share of the latency)`,
    );
    printTimeline(postedAt, doneAt, sampler.samples, milestones.fleet, report.worst, 5000);
    console.log(
      `  progress messages sent: ${progress} (${(progress / count).toFixed(1)} per agent, one a second for ${PROGRESS_TICKS} s), lost connections: ${fleet.counters.disconnects}`,
    );
    console.log(`  database rows written during the rollout: ${rows.total} (${perAgent.toFixed(1)} per agent): ${rows.byTable}`);
    console.log(`  target: server ≤ 1 core → ${cpu <= 1 ? "met" : "MISSED"} (${cpu.toFixed(2)})`);
    console.log(`  target: rss ≤ 1 GiB → ${sampler.peakRssMiB() <= 1024 ? "met" : "MISSED"} (${sampler.peakRssMiB()} MiB)`);
    console.log(`  target: latency p99 ≤ 1 s → ${p99 <= 1000 ? "met" : "MISSED"} (${p99.toFixed(0)} ms)`);
    console.log(
      `  target: db rows per agent ≤ ${rowBound} (${STATE_ROWS_PER_AGENT} for state changes + one per ${PROGRESS_FLUSH_SECONDS} s progress flush), ` +
        `not ∝ ${PROGRESS_TICKS} progress ticks → ${perAgent <= rowBound && final.counts.done === count ? "met" : "MISSED"} (${perAgent.toFixed(1)})`,
    );
    console.log(`  target: every agent done → ${final.counts.done === count ? "met" : "MISSED"} (${final.counts.done}/${count})`);
    console.log(
      `control ${count}: cpu ${cpu.toFixed(2)} cores, rss ${sampler.peakRssMiB()} MiB, p99 ${p99.toFixed(0)} ms, ` +
        `db rows ${rows.total} (${perAgent.toFixed(1)} per agent) for ${progress} progress messages`,
    );
  } catch (error) {
    console.log(`  server log (tail):\n${server.output().slice(-3000)}`);
    throw error;
  } finally {
    sampler.stop();
    await fleet?.stop();
    await ui?.stop();
    await stats.end().catch(() => undefined);
    await server.stop();
  }
}

/** One line per window of the rollout: server cpu and rss, agents commanded and finished, worst latency. */
function printTimeline(
  from: number,
  to: number,
  usage: UsageSample[],
  fleet: FleetSample[],
  worst: [number, number][],
  windowMs: number,
): void {
  console.log(`  timeline (s after POST: server cpu cores, rss MiB, agents commanded/finished, worst browser latency):`);
  const rows: string[] = [];
  for (let start = from; start < to; start += windowMs) {
    const end = Math.min(to, start + windowMs);
    const inWindow = <T extends { at: number }>(list: T[]) => list.filter((sample) => sample.at >= start && sample.at < end);
    const cpu = inWindow(usage);
    const cores = cpu.length > 1 ? (cpu.at(-1)!.cpuSeconds - cpu[0].cpuSeconds) / ((cpu.at(-1)!.at - cpu[0].at) / 1000) : NaN;
    const last = [...fleet].reverse().find((sample) => sample.at < end);
    const latency = Math.max(0, ...worst.filter(([at]) => at >= start && at < end).map(([, ms]) => ms));
    rows.push(
      `    ${String(Math.round((start - from) / 1000)).padStart(4)}–${String(Math.round((end - from) / 1000)).padEnd(4)} ` +
        `cpu ${cores.toFixed(2)}  rss ${Math.max(0, ...cpu.map((sample) => sample.rssMiB))}  ${last?.commands ?? 0}/${last?.finished ?? 0}  ${latency} ms`,
    );
  }
  console.log(rows.join("\n"));
}

// ---- small helpers ----

function cores(from: { cpuSeconds: number } | null, to: { cpuSeconds: number } | null, wallSeconds: number): string {
  return from && to ? ((to.cpuSeconds - from.cpuSeconds) / wallSeconds).toFixed(2) : "?";
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
