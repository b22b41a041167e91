// The real product as an operator runs it: `node scripts/start.mjs` (builds the dashboard if
// needed, then serves Next + API + Socket.io), on a free port with its own data dir.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { processUsage, serverProcessPid, type ProcessUsage } from "./process-usage.ts";
import { StopWaiting, waitFor } from "./test-server.ts";

export type ProductionServer = {
  url: string;
  dataDir: string;
  process: ChildProcess;
  /** CPU seconds and RSS of the server.ts process itself (not start.mjs); null once it is gone. */
  usage(): ProcessUsage | null;
  output(): string;
  stop(): Promise<void>;
};

/** One REST call with a bearer token; rejects naming the route and the server's answer on an error status. */
export async function callApi(url: string, token: string, method: string, route: string, body?: unknown): Promise<any> {
  const response = await fetch(url + route, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * A free port is only free when probed: the server listens after a build of a minute or more
 * (or a wait for another test's build), and another test may take the port meanwhile. Without a
 * fixed port, a start that lost its port that way is tried again on another.
 */
export async function startProductionServer(vars: Record<string, string>, options: { port?: number } = {}): Promise<ProductionServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(vars, options.port ?? (await freePort()));
    } catch (error) {
      if (options.port !== undefined || attempt >= 3 || !/EADDRINUSE/.test((error as Error).message)) throw error;
    }
  }
}

async function startOnce(vars: Record<string, string>, port: number): Promise<ProductionServer> {
  const dataDir = vars.PRECACHE_DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), "precache-prod-"));
  const root = path.resolve(import.meta.dirname, "../..");
  let output = "";
  const child = spawn(process.execPath, ["scripts/start.mjs"], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", PRECACHE_DATA_DIR: dataDir, LOG_LEVEL: "info", ...vars },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    "the production server to answer /api/health",
    async () => {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new StopWaiting(`server exited with ${child.exitCode ?? child.signalCode}:\n${output.slice(-3000)}`);
      const response = await fetch(`${url}/api/health`).catch(() => null);
      return response?.ok ? true : undefined;
    },
    300_000,
  );
  const serverPid = serverProcessPid(child.pid!);
  return {
    url,
    dataDir,
    process: child,
    usage: () => (serverPid ? processUsage(serverPid) : null),
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}
