// The control plane under load: N simulated agents (real Socket.io connections speaking the real
// /agent protocol, but downloading nothing) against the production server on Postgres, one
// jitter rollout to all of them, and a /ui client timing agent → browser latency.
// `npm run bench -- control [1300|10000]`; both sizes by default.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import pg from "pg";
import { io, type Socket } from "socket.io-client";
import { AGENT_NAMESPACE, PROTOCOL_VERSION, imagePrecache, type Ack, type AgentSettings, type ImagePrecache } from "../protocol/events.ts";
import { postgresTestUrl } from "../test/support/databases.ts";
import { startProductionServer, type ProductionServer } from "../test/support/production-server.ts";
import { machine } from "./bench-support.ts";

export const TOKENS = { PRECACHE_API_TOKEN: "bench-api", PRECACHE_AGENT_TOKEN: "bench-agent", PRECACHE_ADMIN_PASSWORD: "bench-admin", PRECACHE_LOCAL_AGENT: "0", LOG_LEVEL: "warn" };
const PROGRESS_TICKS = 20;
const GROUPS = 8;
/** Rows one target costs: its insert, 3 target updates (claim, done, …) and 3 cell writes, +1 slack. */
const STATE_ROWS_PER_AGENT = 7;
const PROGRESS_FLUSH_SECONDS = 5;

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
    console.log(`  server cpu during the rollout: ${cpu.toFixed(2)} cores (${cpuAfter && cpuBefore ? (cpuAfter.cpuSeconds - cpuBefore.cpuSeconds).toFixed(1) : "?"} cpu-s over ${wallSeconds.toFixed(1)} s, POST → rollout ${milestones.state})`);
    console.log(`  server rss peak: ${sampler.peakRssMiB()} MiB (sampled every 500 ms from server start; ${rssAtPost} MiB when the rollout began)`);
    console.log(
      `  agent → browser latency: p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${percentile(report.latencies, 1).toFixed(0)} ms ` +
        `(${report.latencies.length} samples: newest progress value per cell per delta; /ui client in a worker thread)`,
    );
    console.log(`  deltas to the browser: ${report.deltas} (${(report.deltas / deltaSeconds).toFixed(1)}/s), ${Math.round(report.cells / Math.max(1, report.deltas))} cells each on average`);
    console.log(`  bench process event-loop delay during the rollout: p50 ${(loopDelay.percentile(50) / 1e6).toFixed(0)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms (the load generator's share of the latency)`);
    printTimeline(postedAt, doneAt, sampler.samples, milestones.fleet, report.worst, 5000);
    console.log(`  progress messages sent: ${progress} (${(progress / count).toFixed(1)} per agent, one a second for ${PROGRESS_TICKS} s), lost connections: ${fleet.counters.disconnects}`);
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

// ---- the server under test ----

export type BenchServer = {
  url: string;
  databaseUrl: string | null;
  api(method: string, route: string, body?: unknown): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** CPU seconds and RSS of the server process itself (not start.mjs or tsx). */
  usage(): { cpuSeconds: number; rssMiB: number } | null;
  /** What the server printed (LOG_LEVEL=warn: warnings and errors). */
  output(): string;
  stop(): Promise<void>;
};

/** `npm start` on a free port with its own data dir (and a fresh Postgres database if asked). */
export async function startBenchServer(options: { isPostgres: boolean }): Promise<BenchServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-bench-server-"));
  const database = options.isPostgres ? await postgresTestUrl() : null;
  let server: ProductionServer;
  try {
    server = await startProductionServer({ ...TOKENS, PRECACHE_DATA_DIR: dataDir, ...(database ? { DATABASE_URL: database.url } : {}) });
  } catch (error) {
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const pid = serverPid(server.process.pid!);
  return {
    url: server.url,
    databaseUrl: database?.url ?? null,
    async api(method, route, body) {
      const response = await fetch(server.url + route, {
        method,
        headers: { authorization: `Bearer ${TOKENS.PRECACHE_API_TOKEN}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = await response.json();
      if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    },
    usage: () => processUsage(pid),
    output: () => server.output(),
    async stop() {
      const tree = descendants(String(server.process.pid));
      const stopped = await Promise.race([server.stop().then(() => true), sleep(30_000).then(() => false)]);
      if (!stopped) {
        console.log("  server did not stop within 30 s of SIGTERM: killed");
        for (const child of [String(server.process.pid), ...tree]) spawnSafeKill(Number(child));
      }
      await database?.drop().catch((error: Error) => console.log(`  could not drop ${database.name}: ${error.message}`));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Publishes the seeded 32 MiB sample image and waits until its artifact is ready. */
export async function publishSample(server: BenchServer): Promise<{ id: string; size: number }> {
  const { images } = await server.api("GET", "/api/images");
  const image = images.find((candidate: { name: string }) => candidate.name === "precache-sample.raw") ?? images[0];
  if (!image) throw new Error("the server has no image to publish (sample not seeded?)");
  await server.api("POST", `/api/images/${image.id}/publish`, {});
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const { image: current } = await server.api("GET", `/api/images/${image.id}`);
    if (current.artifact?.state === "ready") return { id: image.id, size: current.size };
    if (current.artifact?.state === "failed") throw new Error(`publish failed: ${current.artifact.error}`);
    await sleep(250);
  }
  throw new Error(`publishing ${image.id} took over 120 s`);
}

function childrenOf(pid: string): string[] {
  try {
    return execFileSync("pgrep", ["-P", pid]).toString().trim().split("\n").filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

function descendants(pid: string): string[] {
  return childrenOf(pid).flatMap((child) => [...descendants(child), child]);
}

/** The server process: the deepest descendant of scripts/start.mjs (start → tsx → server). */
function serverPid(startPid: number): string {
  let pid = String(startPid);
  for (;;) {
    const children = childrenOf(pid);
    if (children.length === 0) return pid;
    pid = children[0];
  }
}

function processUsage(pid: string): { cpuSeconds: number; rssMiB: number } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    const ticks = Number(stat[11]) + Number(stat[12]);
    return { cpuSeconds: ticks / 100, rssMiB: Math.round((Number(stat[21]) * 4096) / 2 ** 20) };
  } catch {
    return null;
  }
}

function spawnSafeKill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

export type UsageSample = { at: number; cpuSeconds: number; rssMiB: number };

/** Samples the server's CPU and RSS every 500 ms. */
export function sampleServer(server: BenchServer): { peakRssMiB(): number; samples: UsageSample[]; stop(): void } {
  const samples: UsageSample[] = [];
  const take = () => {
    const usage = server.usage();
    if (usage) samples.push({ at: Date.now(), ...usage });
  };
  take();
  const timer = setInterval(take, 500);
  return { samples, peakRssMiB: () => Math.max(0, ...samples.map((sample) => sample.rssMiB)), stop: () => clearInterval(timer) };
}

// ---- simulated agents ----

type SimulatedAgent = { index: number; name: string; socket: Socket; command: ImagePrecache | null; sent: number; startedAt: number };
export type SimulatedFleet = {
  connected: number;
  connectSeconds: number;
  failures: string[];
  counters: { commands: number; progress: number; finished: number; disconnects: number };
  stop(): Promise<void>;
};
export type FleetOptions = {
  url: string;
  count: number;
  batch: number;
  progressTicks?: number;
  /** Which tenth of each second this agent reports progress in. */
  slotOf(index: number): number;
  bytesAt(agent: number, tick: number, command: ImagePrecache): number;
};

/**
 * N agents in this process, each its own websocket to /agent. Each says hello (group rack-<i%8>),
 * accepts image:precache, then reports progress once a second and finishes: no bytes move.
 */
export async function startSimulatedFleet(options: FleetOptions): Promise<SimulatedFleet> {
  const ticks = options.progressTicks ?? PROGRESS_TICKS;
  const counters = { commands: 0, progress: 0, finished: 0, disconnects: 0 };
  const agents: SimulatedAgent[] = [];
  const reporting: Set<SimulatedAgent>[] = Array.from({ length: 10 }, () => new Set());
  const failures: string[] = [];
  let isStopping = false;

  const connect = (index: number): Promise<void> =>
    new Promise((resolve) => {
      const name = `hv-${String(index).padStart(5, "0")}`;
      const socket = io(options.url + AGENT_NAMESPACE, {
        auth: { token: TOKENS.PRECACHE_AGENT_TOKEN, name },
        transports: ["websocket"],
        forceNew: true,
        reconnection: false,
        timeout: 120_000,
      });
      const agent: SimulatedAgent = { index, name, socket, command: null, sent: 0, startedAt: 0 };
      const fail = (reason: string) => {
        failures.push(reason);
        socket.disconnect();
        resolve();
      };
      socket.once("connect_error", (error) => fail(`connect: ${error.message}`));
      socket.once("connect", () => {
        const hello = {
          protocol: PROTOCOL_VERSION,
          name,
          version: "0.1.0-simulated",
          cacheDir: `/var/lib/nova/instances/_base`,
          freeBytes: 2 ** 40,
          proxies: [],
          group: `rack-${index % GROUPS}`,
          inventory: [],
          active: [],
        };
        socket.timeout(120_000).emit("agent:hello", hello, (error: Error | null, answer?: Ack<AgentSettings>) => {
          if (error || !answer?.ok) return fail(`hello: ${error?.message ?? (answer && !answer.ok ? answer.error.code : "no answer")}`);
          agents.push(agent);
          resolve();
        });
      });
      socket.on("disconnect", (reason) => {
        if (!isStopping && reason !== "io client disconnect") counters.disconnects += 1;
      });
      socket.on("image:precache", (payload: unknown, ack: (result: Ack<{ accepted: true }>) => void) => {
        const parsed = imagePrecache.safeParse(payload);
        if (!parsed.success) return ack({ ok: false, error: { code: "INVALID_COMMAND", message: parsed.error.message } });
        ack({ ok: true, data: { accepted: true } });
        counters.commands += 1;
        Object.assign(agent, { command: parsed.data, sent: 0, startedAt: performance.now() });
        reporting[options.slotOf(index) % 10].add(agent);
      });
    });

  const started = performance.now();
  for (let start = 0; start < options.count; start += options.batch) {
    await Promise.all(Array.from({ length: Math.min(options.batch, options.count - start) }, (_, i) => connect(start + i)));
  }
  const connectSeconds = (performance.now() - started) / 1000;

  let tick = 0;
  const ticker = setInterval(() => {
    for (const agent of reporting[tick++ % 10]) {
      const command = agent.command!;
      if (agent.sent < ticks) {
        agent.sent += 1;
        counters.progress += 1;
        const progress = { rolloutId: command.rolloutId, imageId: command.imageId, bytes: options.bytesAt(agent.index, agent.sent, command), totalBytes: command.imageSize };
        agent.socket.volatile.emit("download:progress", progress);
        continue;
      }
      const seconds = (performance.now() - agent.startedAt) / 1000;
      agent.socket.emit("download:finished", { rolloutId: command.rolloutId, imageId: command.imageId, ok: true, bytes: command.imageSize ?? 0, seconds });
      counters.finished += 1;
      reporting.forEach((slot) => slot.delete(agent));
    }
  }, 100);

  return {
    connected: agents.length,
    connectSeconds,
    failures,
    counters,
    async stop() {
      isStopping = true;
      clearInterval(ticker);
      for (const agent of agents) agent.socket.disconnect();
      await sleep(200);
    },
  };
}

// ---- the browser side ----

export type UiReport = {
  latencies: number[];
  deltas: number;
  cells: number;
  firstDeltaAt: number;
  lastDeltaAt: number;
  /** [received at, worst latency in that delta] per delta. */
  worst: [number, number][];
};
export type UiListener = { rolloutStates: Map<string, string>; report(): Promise<UiReport>; stop(): Promise<void> };

// A worker thread, so 10,000 agent sockets on the main thread do not delay its clock readings.
const UI_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { io } = require(workerData.client);
const report = { latencies: [], deltas: 0, cells: 0, firstDeltaAt: 0, lastDeltaAt: 0, worst: [] };
const socket = io(workerData.url + "/ui", { auth: { token: workerData.token }, transports: ["websocket"], forceNew: true });
socket.on("state:snapshot", (snapshot) => parentPort.postMessage({ type: "snapshot", hypervisors: snapshot.hypervisors.length }));
socket.on("connect_error", (error) => parentPort.postMessage({ type: "error", message: error.message }));
socket.on("state:delta", (delta) => {
  const now = Date.now();
  report.deltas += 1;
  report.cells += delta.cells.length;
  report.firstDeltaAt ||= now;
  report.lastDeltaAt = now;
  let worst = 0;
  if (workerData.t0) for (const cell of delta.cells) if (cell.state === "downloading" && cell.bytes > 0) {
    const latency = now - (workerData.t0 + cell.bytes);
    report.latencies.push(latency);
    worst = Math.max(worst, latency);
  }
  report.worst.push([now, worst]);
  for (const rollout of delta.rollouts) parentPort.postMessage({ type: "rollout", id: rollout.id, state: rollout.state });
});
parentPort.on("message", (message) => {
  if (message === "report") parentPort.postMessage({ type: "report", report });
  if (message === "stop") { socket.disconnect(); parentPort.close(); }
});
`;

/** A /ui client like the dashboard's; with `t0`, progress bytes are send times and it times them. */
export async function startUiListener(url: string, t0: number | null): Promise<UiListener> {
  const client = createRequire(import.meta.url).resolve("socket.io-client");
  const worker = new Worker(UI_WORKER, { eval: true, workerData: { url, token: TOKENS.PRECACHE_API_TOKEN, t0, client } });
  const rolloutStates = new Map<string, string>();
  let onReport: ((report: UiReport) => void) | null = null;
  const ready = new Promise<void>((resolve, reject) => {
    worker.on("message", (message) => {
      if (message.type === "snapshot") resolve();
      if (message.type === "error") reject(new Error(`/ui client: ${message.message}`));
      if (message.type === "rollout") rolloutStates.set(message.id, message.state);
      if (message.type === "report") onReport?.(message.report);
    });
    worker.once("error", reject);
  });
  await ready;
  return {
    rolloutStates,
    report: () => new Promise((resolve) => ((onReport = resolve), worker.postMessage("report"))),
    async stop() {
      worker.postMessage("stop");
      await Promise.race([new Promise((resolve) => worker.once("exit", resolve)), sleep(2000)]);
      await worker.terminate();
    },
  };
}

type FleetSample = { at: number; commands: number; finished: number };

async function waitForRollout(ui: UiListener, fleet: SimulatedFleet, id: string, since: number, timeoutMs: number) {
  const milestones = { allCommanded: null as number | null, allFinished: null as number | null, state: "running", fleet: [] as FleetSample[] };
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const elapsed = (performance.now() - since) / 1000;
    if (milestones.allCommanded === null && fleet.counters.commands >= fleet.connected) milestones.allCommanded = elapsed;
    if (milestones.allFinished === null && fleet.counters.finished >= fleet.connected) milestones.allFinished = elapsed;
    if (milestones.fleet.length === 0 || Date.now() - milestones.fleet.at(-1)!.at >= 1000) milestones.fleet.push({ at: Date.now(), commands: fleet.counters.commands, finished: fleet.counters.finished });
    const state = ui.rolloutStates.get(id);
    if (state && state !== "running") return { ...milestones, state };
    await sleep(100);
  }
  return { ...milestones, state: `still running after ${timeoutMs / 1000} s` };
}

/** One line per window of the rollout: server cpu and rss, agents commanded and finished, worst latency. */
function printTimeline(from: number, to: number, usage: UsageSample[], fleet: FleetSample[], worst: [number, number][], windowMs: number): void {
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

// ---- database writes ----

type TableWrites = Map<string, number>;

/**
 * Rows inserted, updated and deleted so far, per table. Postgres publishes a backend's counts at
 * most once a second, and an idle backend's only after 10 s: read after 11 s of quiet.
 */
async function settledWrites(client: pg.Client): Promise<TableWrites> {
  await sleep(11_000);
  await client.query("SELECT pg_stat_clear_snapshot()");
  const { rows } = await client.query<{ relname: string; n: string }>("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del AS n FROM pg_stat_user_tables");
  return new Map(rows.map((row) => [row.relname, Number(row.n)]));
}

function writesBetween(before: TableWrites, after: TableWrites): { total: number; byTable: string } {
  const changed = [...after].map(([table, n]) => [table, n - (before.get(table) ?? 0)] as const).filter(([, n]) => n > 0);
  return {
    total: changed.reduce((sum, [, n]) => sum + n, 0),
    byTable: changed.map(([table, n]) => `${table} ${n}`).join(", ") || "none",
  };
}

// ---- small helpers ----

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function cores(from: { cpuSeconds: number } | null, to: { cpuSeconds: number } | null, wallSeconds: number): string {
  return from && to ? ((to.cpuSeconds - from.cpuSeconds) / wallSeconds).toFixed(2) : "?";
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function fmt(value: number | null): string {
  return value === null ? "never" : `${value.toFixed(1)} s`;
}

function summarize(reasons: string[]): string {
  const counts = new Map<string, number>();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n}× ${reason}`).join("; ");
}
