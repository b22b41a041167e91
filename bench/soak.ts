// Soak: rollouts back to back for --minutes (default 10) on a real server process (PGlite, or
// Postgres with --postgres), a two-tier Squid and --agents (default 6) agent processes, with a
// fault injected every 20–40 s at random. Each rollout starts from empty caches (cleanup between).
// Figures: rollouts completed, nodes verified, faults by kind, bytes re-fetched ÷ bytes delivered
// (bytes tier 2 handed to agents, counted by a relay that outlives Squid restarts, against
// artifact size × verified deliveries),
// stuck targets (not finished STUCK_AFTER_MS after their rollout started) and lost results (a
// node whose verified file is on disk while its target did not end done).
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { baseFilePath } from "../agent/download/cache-paths.ts";
import { baseFileName } from "../protocol/nova-files.ts";
import { startAgentProcess } from "../test/support/agent-process.ts";
import { POSTGRES_ADMIN_URL, postgresTestUrl } from "../test/support/databases.ts";
import { startServerProcess } from "../test/support/server-process.ts";
import { startSquid, type RunningSquid } from "../test/support/squid.ts";
import { machine, sleep } from "./bench-support.ts";
import { startByteCountingRelay } from "./byte-counting-relay.ts";
import { FAULT_KINDS, injectFault, type FaultKind, type SoakParts } from "./soak-faults.ts";

const IMAGE_BYTES = 3 * 2 ** 20;
const BANDWIDTH_MBPS = 2; // 3 MiB at 2 Mbit/s: ~13 s per node, ~20–30 s per rollout
const STUCK_AFTER_MS = 180_000;

type Target = { name: string; state: string; error: string | null };

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { minutes: { type: "string" }, agents: { type: "string" }, postgres: { type: "boolean" } },
    strict: false,
    allowPositionals: true,
  });
  const minutes = Number(values.minutes ?? 10);
  const agentCount = Number(values.agents ?? 6);
  const isPostgres = values.postgres === true;
  console.log(`machine: ${machine()}; ${minutes} min, ${agentCount} agents, ${isPostgres ? "Postgres" : "PGlite"}`);

  const root = fs.mkdtempSync(path.join(os.tmpdir(), "precache-soak-"));
  const teardown: (() => Promise<unknown>)[] = [];
  let isStopping = false;
  const finish = async () => {
    for (const step of teardown.reverse()) await step().catch(() => {});
    fs.rmSync(root, { recursive: true, force: true });
  };
  process.once("SIGINT", () => {
    isStopping = true;
    console.log("\ninterrupted: tearing down");
    void finish().finally(() => process.exit(130));
  });

  try {
    const dataDir = path.join(root, "server");
    fs.mkdirSync(path.join(dataDir, "images"), { recursive: true });
    const data = crypto.randomBytes(IMAGE_BYTES);
    fs.writeFileSync(path.join(dataDir, "images", "soak.raw"), data);
    const vars: Record<string, string> = {};
    let database: SoakParts["database"] = null;
    if (isPostgres) {
      const created = await postgresTestUrl();
      teardown.push(created.drop);
      vars.DATABASE_URL = created.url;
      database = { name: created.name, adminUrl: POSTGRES_ADMIN_URL };
    }
    const server = await startServerProcess({ dataDir, vars });
    teardown.push(() => server.stop({ keepData: true }));
    const tier1 = await startSquid({ name: "soak-t1" });
    teardown.push(() => tier1.stop());
    const tier2: RunningSquid[] = [await startSquid({ name: "soak-t2", parent: { host: "127.0.0.1", port: tier1.port } })];
    teardown.push(() => Promise.allSettled(tier2.map((squid) => squid.stop())));
    const relay = await startByteCountingRelay(tier2[0].port);
    teardown.push(() => relay.close());
    const agents = Array.from({ length: agentCount }, (_, index) =>
      startAgentProcess({ server: server.url, name: `hv-soak-${index}`, proxies: [relay.url], root }),
    );
    teardown.push(() => Promise.allSettled(agents.map((agent) => agent.stop())));
    const parts: SoakParts = { server, agents, tier2, tier1Port: tier1.port, database };

    const api = async (method: string, route: string, body?: unknown) => {
      for (let attempt = 0; ; attempt++) {
        // The server may be down for a fault: retry for a while rather than count it as a failure.
        const answer = await server.api(method, route, body).catch((error: Error) => ({ status: 0, body: { error: error.message } }));
        if ((answer.status >= 200 && answer.status < 300) || attempt >= 60) return answer;
        await sleep(1000);
      }
    };
    const image = (await api("GET", "/api/images")).body.images[0];
    await api("POST", `/api/images/${image.id}/publish`, {});
    let artifact: { url: string; compressedSize: number } | null = null;
    while (!artifact) {
      const found = (await api("GET", `/api/images/${image.id}`)).body.image.artifact;
      if (found?.state === "failed") throw new Error(`publish failed: ${found.error}`);
      if (found?.state === "ready") artifact = found;
      else await sleep(200);
    }
    const isVerified = (cacheDir: string) => {
      try {
        return fs.readFileSync(baseFilePath(cacheDir, image.id)).equals(data);
      } catch {
        return false;
      }
    };

    const deadline = Date.now() + minutes * 60_000;
    const faults: Record<string, number> = {};
    let seed = 1;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const kinds = FAULT_KINDS.filter((kind) => isPostgres || kind !== "database-refuses");
    const faultLoop = (async () => {
      // Kinds are drawn from a shuffled bag, so even a short run sees each of them.
      let bag: FaultKind[] = [];
      while (!isStopping && Date.now() < deadline) {
        const at = Date.now() + 20_000 + random() * 20_000;
        while (!isStopping && Date.now() < Math.min(at, deadline)) await sleep(500);
        if (isStopping || Date.now() >= deadline) break;
        if (!bag.length) bag = [...kinds].sort(() => random() - 0.5);
        const kind = bag.pop()!;
        const what = await injectFault(kind, parts, random).catch((error: Error) => `FAILED to inject: ${error.message}`);
        faults[kind] = (faults[kind] ?? 0) + 1;
        console.log(`${new Date().toISOString().slice(11, 19)} fault ${kind}: ${what}`);
      }
    })();

    let completed = 0;
    let rolloutCount = 0;
    let onDisk = 0; // verified files placed, whatever the target says: what was delivered
    let verified = 0;
    let failedTargets = 0;
    const stuck: string[] = [];
    const lost: string[] = [];
    while (!isStopping && Date.now() < deadline) {
      const started = Date.now();
      rolloutCount += 1;
      const created = await api("POST", "/api/rollouts", { imageId: image.id, bandwidthMbps: BANDWIDTH_MBPS });
      if (created.status !== 201) throw new Error(`rollout answered ${created.status}: ${JSON.stringify(created.body)}`);
      const id: string = created.body.rollout.id;
      let view: { state: string; hypervisors: Target[] } = created.body.rollout;
      while (Date.now() - started < STUCK_AFTER_MS) {
        view = (await api("GET", `/api/rollouts/${id}`)).body.rollout ?? view;
        if (view.state !== "running") break;
        await sleep(1000);
      }
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      if (view.state === "running") {
        const open = view.hypervisors.filter((target) => target.state !== "done" && target.state !== "failed");
        stuck.push(...open.map((target) => `${id}/${target.name} (${target.state})`));
        await api("POST", `/api/rollouts/${id}/cancel`);
      } else completed += 1;
      for (const target of view.hypervisors ?? []) {
        const agent = agents.find((entry) => entry.name === target.name)!;
        const isOnDisk = isVerified(agent.cacheDir);
        if (isOnDisk) onDisk += 1;
        if (target.state === "done" && isOnDisk) verified += 1;
        else if (target.state === "done") lost.push(`${id}/${target.name}: done but no verified file`);
        else if (isOnDisk) lost.push(`${id}/${target.name}: verified on disk but ${target.state}`);
        if (target.state === "failed") failedTargets += 1;
      }
      const counts = view.hypervisors.reduce<Record<string, number>>(
        (sum, target) => ({ ...sum, [target.state]: (sum[target.state] ?? 0) + 1 }),
        {},
      );
      console.log(
        `${new Date().toISOString().slice(11, 19)} rollout ${rolloutCount}: ${view.state} in ${seconds} s ${JSON.stringify(counts)}${view.hypervisors
          .filter((t) => t.error)
          .map((t) => ` ${t.name}: ${t.error}`)
          .join("")}`,
      );
      await cleanAll(
        api,
        image.id,
        agents.map((agent) => agent.cacheDir),
      );
    }
    isStopping = true;
    await faultLoop;

    const sent = relay.bytesToClients();
    const logged = await bytesSent(tier2, artifact.url);
    const delivered = onDisk * artifact.compressedSize;
    const refetched = sent - delivered;
    console.log(`\nrollouts completed: ${completed}; nodes verified: ${verified}; targets failed: ${failedTargets}`);
    console.log(
      `faults injected: ${
        Object.entries(faults)
          .map(([kind, count]) => `${kind} ${count}`)
          .join(", ") || "none"
      }`,
    );
    console.log(
      `bytes: tier 2 → agents ${sent} B (relay count, response headers included) for ${onDisk} verified files placed (targets done or not) of ${artifact.compressedSize} B = ${delivered} B`,
    );
    console.log(
      `re-fetched: ${refetched} B = ${((100 * refetched) / Math.max(1, delivered)).toFixed(2)} % (goal ≤ 5 %); tier 2's own logs show ${logged} B (a killed Squid does not log what it was serving)`,
    );
    console.log(`tier 1 → tier 2: ${await bytesSent([tier1], artifact.url)} B over the run`);
    console.log(
      `stuck targets (not finished ${STUCK_AFTER_MS / 1000} s after their rollout started): ${stuck.length}${stuck.length ? ` (${stuck.join(", ")})` : ""} (goal 0)`,
    );
    console.log(`lost results: ${lost.length}${lost.length ? ` (${lost.join("; ")})` : ""} (goal 0)`);
  } finally {
    isStopping = true;
    await finish();
  }
}

/**
 * Deletes the image from every node, retrying while nodes are offline for a fault, then checks the
 * dirs are empty. A cleanup answers at once: its outcomes are read from GET /api/cleanups/{id}.
 */
async function cleanAll(
  api: (method: string, route: string, body?: unknown) => Promise<{ status: number; body: any }>,
  imageId: string,
  cacheDirs: string[],
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const started = await api("POST", "/api/cleanup", { imageId, hypervisors: cacheDirs.map((dir) => path.basename(path.dirname(dir))) });
    let cleanup: { state: string; hypervisors: { outcome: string }[] } | null = null;
    while (started.status === 202 && Date.now() < deadline) {
      const answer = await api("GET", `/api/cleanups/${started.body.cleanup.id}`).catch(() => null);
      if (answer?.status === 200 && answer.body.cleanup.state !== "running") {
        cleanup = answer.body.cleanup;
        break;
      }
      await sleep(250);
    }
    const isClean = cacheDirs.every(
      (dir) => !fs.existsSync(dir) || fs.readdirSync(dir).every((name) => !name.startsWith(baseFileName(imageId))),
    );
    const isEveryNodeClean = cleanup?.hypervisors.every((node) => node.outcome === "deleted" || node.outcome === "absent");
    if (cleanup?.state === "done" && isEveryNodeClean && isClean) return;
    await sleep(1000);
  }
  throw new Error("cleanup did not empty every cache dir within a minute");
}

async function bytesSent(squids: RunningSquid[], url: string): Promise<number> {
  let total = 0;
  for (const squid of squids) for (const entry of await squid.accessLog()) if (entry.url === url) total += entry.bytes;
  return total;
}
