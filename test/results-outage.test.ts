// Results are never lost: a download that finishes while the database is down, or while the
// server is down, still reaches the rollout once they are back (real agents, real Socket.io).
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { baseFileName } from "../protocol/nova-files.ts";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import { allowConnections, postgresSkipReason, postgresTestUrl, refuseConnections } from "./support/databases.ts";
import { startGateProxy, type GateProxy } from "./support/gate-proxy.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { publishAndWait, startTestServer, waitFor, type TestServer } from "./support/test-server.ts";

const FAST_OUTBOX = { ackTimeoutMs: 2000, firstRetryMs: 200, maxRetryMs: 1000 };
let cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

/** A database outage the way an operator sees one: Postgres refusing connections, or (PGlite) every query failing. */
type Outage = { begin(): Promise<void>; end(): Promise<void> };

function postgresOutage(name: string): Outage {
  return { begin: () => refuseConnections(name), end: () => allowConnections(name) };
}

/**
 * PGlite runs in-process and cannot go away: swap in a client whose every query fails while the
 * outage lasts (and passes through after, for whoever kept a reference to it).
 */
function pgliteOutage(server: TestServer): Outage {
  const real = server.context.db;
  let isDown = false;
  const fail = () => Promise.reject(new Error("database unavailable (test outage)"));
  const wrapped = new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (!isDown) return typeof value === "function" ? value.bind(target) : value;
      if (typeof prop === "string" && prop.startsWith("$")) return fail;
      return value && typeof value === "object" ? new Proxy(value, { get: () => fail }) : value;
    },
  });
  return {
    begin: async () => void ((isDown = true), (server.context.db = wrapped)),
    end: async () => void ((isDown = false), (server.context.db = real)),
  };
}

async function rolloutTo(server: TestServer, node: string, extra: Record<string, unknown> = {}) {
  const image = (await server.api("GET", "/api/images")).body.images[0];
  await publishAndWait(server, image.id);
  const created = await server.api("POST", "/api/rollouts", { imageId: image.id, hypervisors: [node], ...extra });
  expect(created.status).toBe(201);
  return { image, rolloutId: created.body.rollout.id as string };
}

const rolloutView = async (server: TestServer, id: string) => (await server.api("GET", `/api/rollouts/${id}`)).body.rollout;

describe.each(["pglite", "postgres"] as const)("a download that finishes during a database outage [%s]", (kind) => {
  it.skipIf(kind === "postgres" && postgresSkipReason())(
    "is recorded within seconds of recovery, fetched once, never downloaded again",
    async () => {
      let vars: Record<string, string> = { PRECACHE_RECONCILE_SECONDS: "600" };
      let databaseName = "";
      if (kind === "postgres") {
        const database = await postgresTestUrl();
        cleanups.push(() => database.drop());
        vars = { ...vars, DATABASE_URL: database.url };
        databaseName = database.name;
      }
      const server = await startTestServer(vars);
      cleanups.push(() => server.close());
      const gate: GateProxy = await startGateProxy();
      cleanups.push(() => gate.close());
      const agent: PrecacheAgent = await startTestAgent(server.url, "hv-outage", { proxies: [gate.url], outboxTiming: FAST_OUTBOX });
      cleanups.push(() => agent.stop());
      const outage = kind === "postgres" ? postgresOutage(databaseName) : pgliteOutage(server);
      cleanups.push(() => outage.end());

      const { image, rolloutId } = await rolloutTo(server, "hv-outage");
      await expect.poll(() => gate.requests.length, { message: "the agent's request at the gate" }).toBeGreaterThan(0);
      await outage.begin();
      gate.open();
      const placed = path.join(agent.config.cacheDir, baseFileName(image.id));
      await expect
        .poll(() => fs.existsSync(placed) && agent.downloads.size === 0, { message: "the image placed during the outage" })
        .toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 3000)); // the server fails to write it, several times
      await outage.end();

      const recoveredAt = Date.now();
      const done = await waitFor(
        "the rollout done after recovery",
        async () => {
          const view = await rolloutView(server, rolloutId).catch(() => undefined);
          return view?.state === "done" ? view : undefined;
        },
        20_000,
      );
      const seconds = (Date.now() - recoveredAt) / 1000;
      console.info(`[${kind}] rollout done ${seconds.toFixed(1)} s after the database came back; gate requests: ${gate.requests.length}`);
      expect(done).toMatchObject({ counts: { done: 1, failed: 0 } });
      expect(seconds).toBeLessThan(10);
      const node = (await server.api("GET", "/api/hypervisors/hv-outage")).body.hypervisor;
      expect(node.images).toMatchObject([{ imageId: image.id, state: "cached", verified: true }]);
      expect(gate.requests).toHaveLength(1); // fetched once: no re-download
    },
    60_000,
  );
});

describe("an error that happens while the agent is disconnected", () => {
  it("reaches the operator after the agent reconnects", async () => {
    const gate = await startGateProxy();
    cleanups.push(() => gate.close());
    let server = await startTestServer();
    const { dataDir } = server;
    const port = new URL(server.url).port;
    cleanups.push(() => server.close());
    const agent = await startTestAgent(server.url, "hv-offline-error", { proxies: [gate.url], outboxTiming: FAST_OUTBOX });
    cleanups.push(() => agent.stop());
    const { rolloutId } = await rolloutTo(server, "hv-offline-error", { maxAttempts: 1 });
    await expect.poll(() => gate.requests.length, { message: "the agent's request at the gate" }).toBeGreaterThan(0);

    await server.close();
    await expect.poll(() => agent.state, { message: "the agent disconnected" }).not.toBe("ready");
    gate.open("garbage"); // bad bytes: a local error (not gzip), while nobody listens
    await expect.poll(() => agent.downloads.size, { message: "the download failed" }).toBe(0);
    server = await startTestServer({ PRECACHE_DATA_DIR: dataDir, PORT: port });

    const target = await waitFor(
      "the error on the rollout",
      async () => {
        const view = await rolloutView(server, rolloutId);
        return view.state === "running" ? undefined : view.hypervisors[0];
      },
      20_000,
    );
    expect(target).toMatchObject({ name: "hv-offline-error", state: "failed", error: expect.stringMatching(/^DECOMPRESS_FAILED/) });
    const node = (await server.api("GET", "/api/hypervisors/hv-offline-error")).body.hypervisor;
    expect(node.images[0]).toMatchObject({ state: "failed", error: expect.stringMatching(/^DECOMPRESS_FAILED/) });
  }, 60_000);
});
