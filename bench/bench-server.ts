// The server under test for the control and heatmap benchmarks: `npm start` (the production
// build) on a free port with its own data dir, and its CPU and RSS sampled from /proc.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { postgresTestUrl } from "../test/support/databases.ts";
import { descendants, type ProcessUsage } from "../test/support/process-usage.ts";
import { callApi, startProductionServer, type ProductionServer } from "../test/support/production-server.ts";
import { openDatabase, type Database } from "../server/db/open-database.ts";
import { sleep } from "./bench-support.ts";

export const TOKENS = {
  PRECACHE_API_TOKEN: "bench-api",
  PRECACHE_AGENT_TOKEN: "bench-agent",
  PRECACHE_ADMIN_PASSWORD: "bench-admin",
  PRECACHE_LOCAL_AGENT: "0",
  LOG_LEVEL: "warn",
};
export type BenchServer = {
  url: string;
  databaseUrl: string | null;
  api(method: string, route: string, body?: unknown): Promise<any>;
  /** CPU seconds and RSS of the server process itself (not start.mjs or tsx). */
  usage(): ProcessUsage | null;
  /** What the server printed (LOG_LEVEL=warn: warnings and errors). */
  output(): string;
  stop(): Promise<void>;
};

export type BenchServerOptions = {
  isPostgres: boolean;
  /** Extra environment (a cluster's shared DATABASE_URL, secrets and directories): the caller owns what it names. */
  vars?: Record<string, string>;
  port?: number;
  /** Writes rows before the server starts (PGlite is one process's: nobody else may open it later). */
  seed?(database: Database): Promise<void>;
};

/**
 * `npm start` on a free port with its own data dir, and a fresh Postgres database if asked
 * (dropped on stop) unless `vars.DATABASE_URL` names one the caller shares between servers.
 */
export async function startBenchServer(options: BenchServerOptions): Promise<BenchServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-bench-server-"));
  const sharedUrl = options.vars?.DATABASE_URL;
  const database = options.isPostgres && !sharedUrl ? await postgresTestUrl() : null;
  let server: ProductionServer;
  try {
    if (options.seed) {
      const seeded = await openDatabase({ databaseUrl: database?.url ?? sharedUrl, dataDir });
      await options.seed(seeded).finally(() => seeded.close());
    }
    server = await startProductionServer(
      { ...TOKENS, PRECACHE_DATA_DIR: dataDir, ...(database ? { DATABASE_URL: database.url } : {}), ...options.vars },
      { port: options.port },
    );
  } catch (error) {
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: server.url,
    databaseUrl: database?.url ?? sharedUrl ?? null,
    api: (method, route, body) => callApi(server.url, TOKENS.PRECACHE_API_TOKEN, method, route, body),
    usage: () => server.usage(),
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
