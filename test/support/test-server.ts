// Starts a real Precache backend (HTTP + Socket.io + database) on a free port with its own data dir.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pino from "pino";
import type { CleanupNodeRow } from "../../protocol/api/cleanup.ts";
import { startPrecache, type RunningPrecache, type StartOptions } from "../../server/app.ts";
import { parseEnv } from "../../server/env.ts";

export const API_TOKEN = "test-api-token";
export const AGENT_TOKEN = "test-agent-token";

export type TestServer = RunningPrecache & {
  dataDir: string;
  api<T = any>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
};

export async function startTestServer(vars: Record<string, string> = {}, options: Partial<StartOptions> = {}): Promise<TestServer> {
  const dataDir = vars.PRECACHE_DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), "precache-test-"));
  const env = parseEnv({
    PORT: "0",
    HOST: "127.0.0.1",
    PRECACHE_DATA_DIR: dataDir,
    PRECACHE_API_TOKEN: API_TOKEN,
    PRECACHE_AGENT_TOKEN: AGENT_TOKEN,
    PRECACHE_LOCAL_AGENT: "0",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ...vars,
  });
  const running = await startPrecache({ env, log: pino({ level: env.LOG_LEVEL }), ...options });
  return {
    ...running,
    dataDir,
    async api(method, route, body) {
      const response = await fetch(running.url + route, {
        method,
        headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    },
  };
}

/**
 * Thrown from a waitFor check when waiting longer cannot help (a server process exited, a
 * publish failed): waitFor fails at once with it instead of timing out.
 */
export class StopWaiting extends Error {}

/**
 * Polls until `check` returns a value (not undefined), or fails naming what it waited for.
 * For a value to wait for; a plain condition in a test is `expect.poll`. Also used outside
 * vitest (bench/), hence not vi.waitFor. Other errors from `check` count as "not yet".
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof StopWaiting) throw error;
      last = error;
    }
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

export async function publishAndWait(server: TestServer, imageId: string, level?: number) {
  const started = await server.api("POST", `/api/images/${imageId}/publish`, level ? { level } : {});
  if (started.status !== 202) throw new Error(`publish answered ${started.status}: ${JSON.stringify(started.body)}`);
  return waitFor(`artifact of ${imageId}`, async () => {
    const { body } = await server.api("GET", `/api/images/${imageId}`);
    const artifact = body.image.artifact;
    if (artifact.state === "failed") throw new StopWaiting(`publish failed: ${artifact.error}`);
    return artifact.state === "ready" ? artifact : undefined;
  });
}

export async function rolloutAndWait(server: TestServer, body: { imageId: string; hypervisors?: string[] }, timeoutMs = 60_000) {
  const created = await server.api("POST", "/api/rollouts", body);
  if (created.status !== 201) throw new Error(`rollout answered ${created.status}: ${JSON.stringify(created.body)}`);
  return waitFor(
    `rollout ${created.body.rollout.id}`,
    async () => {
      const { body: view } = await server.api("GET", `/api/rollouts/${created.body.rollout.id}`);
      return view.rollout.state === "running" ? undefined : view.rollout;
    },
    timeoutMs,
  );
}

/** POST /api/cleanup (answered at once, 202) and the cleanup once it has ended (GET /api/cleanups/{id}). */
export async function cleanupAndWait(
  server: Pick<TestServer, "api">,
  body: { imageId: string; hypervisors?: string[]; removeArtifact?: boolean; purgeProxies?: boolean },
  timeoutMs = 60_000,
) {
  const started = await server.api("POST", "/api/cleanup", body);
  if (started.status !== 202) throw new Error(`cleanup answered ${started.status}: ${JSON.stringify(started.body)}`);
  return waitFor(
    `cleanup ${started.body.cleanup.id}`,
    async () => {
      const { body: view } = await server.api("GET", `/api/cleanups/${started.body.cleanup.id}`);
      return view.cleanup.state === "running" ? undefined : view.cleanup;
    },
    timeoutMs,
  );
}

/** A cleanup's node outcomes by hypervisor name. */
export function outcomesByName(cleanup: { hypervisors: CleanupNodeRow[] }): Record<string, CleanupNodeRow> {
  return Object.fromEntries(cleanup.hypervisors.map((node) => [node.name, node]));
}
