// The control plane on two servers sharing one Postgres, against one server: N simulated agents
// (real /agent Socket.io connections, no bytes moved) per server, one jitter rollout to all,
// progress at 1 Hz, and /ui clients timing agent → browser latency.
// `npm run bench -- control-cluster [perInstance] [--adapter postgres|redis|both]` (25,000 by default).
// Agents connect to each server directly (half each), no load balancer: haproxy only spreads
// connections, which the bench does itself (test/cluster-haproxy.test.ts covers haproxy).
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import { postgresTestUrl } from "../test/support/databases.ts";
import { freePort } from "../test/support/production-server.ts";
import { machine, percentile, sleep } from "./bench-support.ts";
import { type BenchServer, publishSample, sampleServer, startBenchServer } from "./bench-server.ts";
import { printComparison, type RunResult } from "./control-cluster-report.ts";
import { settledWrites, summarize, waitForRollout, writesBetween } from "./control-support.ts";
import { startSimulatedFleet, type SimulatedFleet } from "./simulated-fleet.ts";
import { startUiListener, type UiListener } from "./ui-listener.ts";

const ADAPTERS = ["postgres", "redis"] as const;
type Adapter = (typeof ADAPTERS)[number];
/** Redis on this machine, for `--adapter redis`. */
const REDIS_URL = "redis://127.0.0.1:6379";
const ROLLOUT_TIMEOUT_MS = 600_000;

export async function run(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: { adapter: { type: "string" } }, allowPositionals: true, strict: false });
  const perInstance = positionals.map(Number).find((n) => Number.isInteger(n) && n > 0) ?? 25_000;
  const choice = String(values.adapter ?? "postgres");
  const adapters: Adapter[] = choice === "both" ? [...ADAPTERS] : ADAPTERS.filter((name) => name === choice);
  if (adapters.length === 0) throw new Error(`--adapter ${choice}: one of postgres, redis, both`);
  console.log(`machine: ${machine()}`);
  checkFileLimit(2 * perInstance);
  console.log(
    `control-cluster ${perInstance} per instance: downloads simulated (no bytes moved); agents connect to each server directly, ` +
      `no load balancer (it only spreads connections, which the bench does itself)`,
  );
  const results: RunResult[] = [await measure({ label: "baseline", servers: 1, perInstance, adapter: "postgres" })];
  for (const adapter of adapters) results.push(await measure({ label: `cluster ${adapter}`, servers: 2, perInstance, adapter }));
  printComparison(perInstance, results);
}

/** Each open socket is a descriptor in the bench process (and one in a server, which inherits the limit). */
function checkFileLimit(sockets: number): void {
  const limits = fs.readFileSync("/proc/self/limits", "utf8").match(/Max open files\s+(\d+)\s+(\d+)/);
  const soft = Number(limits?.[1] ?? Number.POSITIVE_INFINITY);
  const needed = sockets + 2000;
  console.log(`open-file limit: ${soft} (the cluster run holds ${sockets} agent sockets in this process: needs ≥ ${needed})`);
  if (soft < needed) console.log(`  WARNING: raise it first (ulimit -n ${Math.max(needed, 65536)}), or agents will fail to connect`);
}

type RunPlan = { label: string; servers: 1 | 2; perInstance: number; adapter: Adapter };
type Instance = { server: BenchServer; isLeader: boolean; prefix: string; sampler: ReturnType<typeof sampleServer> };

async function measure(plan: RunPlan): Promise<RunResult> {
  console.log(`\n${plan.label}: ${plan.servers} server(s) × ${plan.perInstance} agents on one fresh Postgres database`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "precache-bench-cluster-"));
  const database = await postgresTestUrl();
  const instances: Instance[] = [];
  const fleets: SimulatedFleet[] = [];
  const listeners: UiListener[] = [];
  const stats = new pg.Client({ connectionString: database.url });
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const t0 = Date.now();
  try {
    const firstPort = await freePort();
    // What servers sharing a database share (as test/cluster-haproxy.test.ts): database, image
    // source, artifact directory, secrets; one public URL is enough, agents here download nothing.
    const vars: Record<string, string> = {
      DATABASE_URL: database.url,
      PRECACHE_IMAGE_DIR: path.join(root, "images"),
      PRECACHE_ARTIFACT_DIR: path.join(root, "artifacts"),
      PRECACHE_PUBLIC_URL: `http://127.0.0.1:${firstPort}`,
      PRECACHE_SESSION_SECRET: "bench-cluster-session-secret",
      PRECACHE_KEK: crypto.randomBytes(32).toString("base64"),
      ...(plan.adapter === "redis" ? { PRECACHE_REDIS_URL: REDIS_URL } : {}),
    };
    // One after the other: the first seeds the sample image into the shared image directory.
    for (let index = 0; index < plan.servers; index++) {
      const server = await startBenchServer({ isPostgres: true, vars, port: index === 0 ? firstPort : undefined });
      instances.push({ server, isLeader: false, prefix: `hv-${"ab"[index]}-`, sampler: sampleServer(server) });
    }
    await settleLeadership(instances);
    // The rollout goes through the server that does not lead, and the main /ui listener sits there:
    // half its cells (the leader's agents) come through the relay between servers.
    const via = instances.find((instance) => !instance.isLeader) ?? instances[0];
    console.log(
      `  servers: ${instances.map((i) => `${i.server.url}${i.isLeader ? " (leader)" : ""}`).join(", ")}; adapter ${plan.adapter}`,
    );
    await stats.connect();
    listeners.push(await startUiListener(via.server.url, t0, via.prefix));
    const leader = instances.find((instance) => instance.isLeader && instance !== via);
    if (leader) listeners.push(await startUiListener(leader.server.url, t0, leader.prefix));

    const batch = plan.perInstance > 2000 ? 500 : 100;
    const connectStarted = performance.now();
    fleets.push(
      ...(await Promise.all(
        instances.map((instance) =>
          startSimulatedFleet({
            url: instance.server.url,
            count: plan.perInstance,
            batch,
            namePrefix: instance.prefix,
            slotOf: (index) => index % 10,
            bytesAt: () => Date.now() - t0, // the send time, increasing like real progress
          }),
        ),
      )),
    );
    const connected = fleets.reduce((sum, fleet) => sum + fleet.connected, 0);
    const failures = fleets.flatMap((fleet) => fleet.failures);
    console.log(
      `  connect: ${connected}/${plan.perInstance * plan.servers} agents said hello in ${((performance.now() - connectStarted) / 1000).toFixed(1)} s` +
        (failures.length ? `; FAILED ${failures.length}: ${summarize(failures)}` : ""),
    );
    const image = await publishSample(via.server);
    const before = await settledWrites(stats);

    loopDelay.enable();
    const cpuBefore = instances.map((instance) => instance.server.usage());
    const rolloutStarted = performance.now();
    const { rollout } = await via.server.api("POST", "/api/rollouts", { imageId: image.id, strategy: "jitter" });
    const milestones = await waitForRollout(listeners[0], combined(fleets), rollout.id, rolloutStarted, ROLLOUT_TIMEOUT_MS);
    const wallSeconds = (performance.now() - rolloutStarted) / 1000;
    const cpuAfter = instances.map((instance) => instance.server.usage());
    loopDelay.disable();
    const attachments = await attachmentSizes(stats);
    const after = await settledWrites(stats);
    const { rollout: final } = await via.server.api("GET", `/api/rollouts/${rollout.id}`);
    const reports = await Promise.all(listeners.map((listener) => listener.report()));
    const rows = writesBetween(before, after);
    const fleet = combined(fleets);
    return {
      label: plan.label,
      agents: connected,
      instances: instances.map((instance, index) => ({
        role: instance.isLeader ? "leader" : plan.servers > 1 ? "follower" : "only",
        cores: cpuBefore[index] && cpuAfter[index] ? (cpuAfter[index].cpuSeconds - cpuBefore[index].cpuSeconds) / wallSeconds : NaN,
        peakRssMiB: instance.sampler.peakRssMiB(),
      })),
      listeners: reports.map((report, index) => ({
        at: index === 0 ? (plan.servers > 1 ? "follower" : "only") : "leader",
        p50: percentile(report.latencies, 0.5),
        p99: percentile(report.latencies, 0.99),
        relayedP99: percentile(report.relayed, 0.99),
        samples: report.latencies.length,
        deltas: report.deltas,
        outOfOrder: report.outOfOrder,
      })),
      rowsPerAgent: rows.total / Math.max(1, connected),
      rowsByTable: rows.byTable,
      attachments,
      allCommanded: milestones.allCommanded,
      allFinished: milestones.allFinished,
      state: milestones.state,
      wallSeconds,
      done: final.counts.done ?? 0,
      commands: fleet.counters.commands,
      disconnects: fleet.counters.disconnects,
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    };
  } catch (error) {
    for (const instance of instances) console.log(`  server ${instance.server.url} log (tail):\n${instance.server.output().slice(-3000)}`);
    throw error;
  } finally {
    for (const instance of instances) instance.sampler.stop();
    await Promise.all(fleets.map((fleet) => fleet.stop()));
    await Promise.all(listeners.map((listener) => listener.stop()));
    await stats.end().catch(() => undefined);
    for (const instance of instances) await instance.server.stop();
    await database.drop().catch((error: Error) => console.log(`  could not drop ${database.name}: ${error.message}`));
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** Asks each server whether it leads (GET /api/health) until exactly one does. */
async function settleLeadership(instances: Instance[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const answers = await Promise.all(instances.map((instance) => instance.server.api("GET", "/api/health")));
    for (const [index, health] of answers.entries()) instances[index].isLeader = health.leader === true;
    if (instances.filter((instance) => instance.isLeader).length === 1) return;
    await sleep(500);
  }
  throw new Error("no single leader among the servers within 30 s");
}

/** What the Postgres adapter's table holds now (it deletes rows older than 30 s): how big the relayed deltas are. */
async function attachmentSizes(stats: pg.Client): Promise<string> {
  const { rows } = await stats.query<{ n: string; avg: string | null; max: string | null }>(
    "SELECT count(*) AS n, avg(length(payload)) AS avg, max(length(payload)) AS max FROM socket_io_attachments WHERE created_at > now() - interval '30 seconds'",
  );
  const [row] = rows;
  if (!row || Number(row.n) === 0) return "none in the last 30 s";
  const kib = (bytes: string | null) => (Number(bytes) / 1024).toFixed(0);
  return `${row.n} in the last 30 s, avg ${kib(row.avg)} KiB, max ${kib(row.max)} KiB`;
}

/** The fleets as one, for waitForRollout: their live counters summed. */
function combined(fleets: SimulatedFleet[]): Pick<SimulatedFleet, "connected" | "counters"> {
  const sum = (key: keyof SimulatedFleet["counters"]) => fleets.reduce((total, fleet) => total + fleet.counters[key], 0);
  return {
    connected: fleets.reduce((total, fleet) => total + fleet.connected, 0),
    counters: {
      get commands() {
        return sum("commands");
      },
      get progress() {
        return sum("progress");
      },
      get finished() {
        return sum("finished");
      },
      get disconnects() {
        return sum("disconnects");
      },
    },
  };
}
