// POST /api/cleanup answers at once (202, the cleanup's id and what was asked) however its nodes
// behave; each node's outcome reaches the dashboards' live channel as it arrives and stays in the
// history (GET /api/cleanups/{id}, the list, the node pages); the artifact leaves the origin in the
// background. The nodes are bare agents: one deletes, one refuses (IN_USE), one never answers
// (TIMEOUT after the hub's 30 s), one name is not connected at all (offline). A cleanup running
// when its server stops, gracefully or killed, is interrupted, and says so after the restart.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { cleanupListReply, cleanupNodePageReply, cleanupReply, startCleanupReply } from "../protocol/api/cleanup.ts";
import { UI_NAMESPACE, type CleanupDelta, type UiDelta } from "../protocol/ui.ts";
import { describeEachDatabaseServer } from "./support/each-database-server.ts";
import { connectRawNode, type RawNode } from "./support/raw-agent.ts";
import { startServerProcess } from "./support/server-process.ts";
import {
  API_TOKEN,
  cleanupAndWait,
  outcomesByName,
  publishAndWait,
  startTestServer,
  waitFor,
  type TestServer,
} from "./support/test-server.ts";

const IN_USE = "instance disk /var/lib/nova/instances/7d1c/disk is backed by it";

function expectMatches(schema: z.ZodType, body: unknown, where: string): void {
  const result = schema.safeParse(body);
  expect(result.success ? "matches" : `${where}: ${result.error.message}`).toBe("matches");
}

/** A data dir with one small image, so publishing takes a moment, not the 32 MiB sample's seconds. */
function smallImageDataDir(): string {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-cleanup-async-"));
  fs.mkdirSync(path.join(dataDir, "images"));
  fs.writeFileSync(path.join(dataDir, "images", "small.raw"), Buffer.alloc(256 * 1024, 7));
  return dataDir;
}

describe("POST /api/cleanup answers at once; outcomes follow live and in the history", () => {
  const dataDir = smallImageDataDir();
  let server: TestServer;
  let ui: Socket;
  const deltas: UiDelta[] = [];
  const nodes: RawNode[] = [];
  let imageId: string;
  let cleanupId: string;
  const liveOf = (id: string): CleanupDelta[] => deltas.flatMap((delta) => delta.cleanups).filter((change) => change.id === id);
  const detail = async (id: string) => (await server.api("GET", `/api/cleanups/${id}`)).body.cleanup;

  beforeAll(async () => {
    server = await startTestServer({ PRECACHE_DATA_DIR: dataDir });
    imageId = (await server.api("GET", "/api/images")).body.images[0].id;
    // Accepts the connection and the hello, never answers image:delete: the hub gives up after 30 s.
    nodes.push(await connectRawNode(server.url, "hv-stuck"));
    const holder = await connectRawNode(server.url, "hv-holder");
    holder.socket.on("image:delete", (_command, ack) => ack({ ok: true, data: { deleted: true, freedBytes: 4096 } }));
    const busy = await connectRawNode(server.url, "hv-busy");
    busy.socket.on("image:delete", (_command, ack) => ack({ ok: false, error: { code: "IN_USE", message: IN_USE } }));
    nodes.push(holder, busy);
    ui = io(server.url + UI_NAMESPACE, { auth: { token: API_TOKEN }, transports: ["websocket"], forceNew: true, reconnection: false });
    const snapshot = new Promise((resolve) => ui.once("state:snapshot", resolve));
    ui.on("state:delta", (delta: UiDelta) => deltas.push(delta));
    await snapshot;
  }, 120_000);
  afterAll(async () => {
    ui?.disconnect();
    for (const node of nodes) node.close();
    await server?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers 202 within a second, with the id and what was asked, though one node never answers", async () => {
    const started = performance.now();
    const answer = await server.api("POST", "/api/cleanup", {
      imageId,
      hypervisors: ["hv-stuck", "hv-holder", "hv-busy", "hv-ghost", "hv-holder"],
    });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    expectMatches(startCleanupReply, answer.body, "POST /api/cleanup");
    expect(answer.body.cleanup).toMatchObject({
      imageId,
      state: "running",
      hypervisors: ["hv-stuck", "hv-holder", "hv-busy", "hv-ghost"],
      removeArtifact: false, // the image is active: its artifact stays unless asked
      purgeProxies: true,
    });
    cleanupId = answer.body.cleanup.id;
  });

  it("sends each node's outcome on the live channel as it arrives", async () => {
    const outcomes = () => Object.fromEntries(liveOf(cleanupId).flatMap((change) => change.nodes.map((node) => [node.name, node])));
    await expect.poll(() => Object.keys(outcomes()).sort()).toEqual(["hv-busy", "hv-ghost", "hv-holder"]);
    expect(outcomes()).toMatchObject({
      "hv-holder": { outcome: "deleted", freedBytes: 4096, error: null },
      "hv-busy": { outcome: "refused", freedBytes: 0, error: `IN_USE: ${IN_USE}` },
      "hv-ghost": { outcome: "offline", error: "OFFLINE: hypervisor hv-ghost is not connected" },
    });
    expect(liveOf(cleanupId).at(-1)?.state).toBe("running");
  });

  it("keeps them in the history: the cleanup, the list and the node pages", async () => {
    const cleanup = await detail(cleanupId);
    expectMatches(cleanupReply, { cleanup }, "GET /api/cleanups/{id}");
    expect(cleanup).toMatchObject({
      id: cleanupId,
      imageId,
      imageName: "small.raw",
      state: "running",
      createdBy: "token:bootstrap",
      finishedAt: null,
      nodes: 4,
      counts: { pending: 1, deleted: 1, absent: 0, refused: 1, offline: 1, timeout: 0, interrupted: 0 },
      freedBytes: 4096,
      artifact: { outcome: "kept", purges: [], error: null },
      hypervisorsInline: true,
    });
    expect(outcomesByName(cleanup)).toMatchObject({
      "hv-stuck": { outcome: "pending", error: null, finishedAt: null },
      "hv-holder": { outcome: "deleted", freedBytes: 4096 },
      "hv-busy": { outcome: "refused", error: `IN_USE: ${IN_USE}` },
      "hv-ghost": { outcome: "offline" },
    });

    const list = (await server.api("GET", `/api/cleanups?imageId=${imageId}&state=running`)).body;
    expectMatches(cleanupListReply, list, "GET /api/cleanups");
    expect(list.cleanups.map((row: { id: string }) => row.id)).toContain(cleanupId);
    expect((await server.api("GET", "/api/cleanups?state=done")).body.cleanups).toEqual([]);

    const refused = (await server.api("GET", `/api/cleanups/${cleanupId}/nodes?outcome=refused`)).body;
    expectMatches(cleanupNodePageReply, refused, "GET /api/cleanups/{id}/nodes");
    expect(refused).toEqual({ nodes: [expect.objectContaining({ name: "hv-busy" })], nextAfter: null });
    const firstPage = (await server.api("GET", `/api/cleanups/${cleanupId}/nodes?limit=2`)).body;
    expect(firstPage.nodes.map((node: { name: string }) => node.name)).toEqual(["hv-busy", "hv-ghost"]);
    const secondPage = (await server.api("GET", `/api/cleanups/${cleanupId}/nodes?limit=2&after=${firstPage.nextAfter}`)).body;
    expect(secondPage.nodes.map((node: { name: string }) => node.name)).toEqual(["hv-holder", "hv-stuck"]);

    const audit = (await server.api("GET", "/api/audit?action=image.cleanup")).body.events;
    expect(audit[0]).toMatchObject({ actor: "token:bootstrap", action: "image.cleanup", target: imageId, outcome: "ok" });
  });

  it.each([
    ["POST", "/api/cleanup", { imageId: "no-such-image" }, 404],
    ["POST", "/api/cleanup", { imageId: 5 }, 422],
    ["POST", "/api/cleanup", { imageId: "img", hypervisors: [] }, 422],
    ["POST", "/api/cleanup", { imageId: "img", removeArtifact: "yes" }, 422],
    ["POST", "/api/cleanup", { imageId: "img", extra: true }, 422],
    ["POST", "/api/cleanup", [], 422],
    ["GET", "/api/cleanups?state=nope", undefined, 422],
    ["GET", "/api/cleanups?limit=0", undefined, 422],
    ["GET", "/api/cleanups?before=not-a-uuid", undefined, 422],
    ["GET", "/api/cleanups?before=00000000-0000-4000-8000-000000000000", undefined, 422],
    ["GET", "/api/cleanups?bogus=1", undefined, 422],
    ["GET", "/api/cleanups/00000000-0000-4000-8000-000000000000", undefined, 404],
    ["GET", "/api/cleanups/00000000-0000-4000-8000-000000000000/nodes", undefined, 404],
    ["GET", "/api/cleanups/not-a-cleanup", undefined, 404],
    ["DELETE", "/api/cleanups/00000000-0000-4000-8000-000000000000", undefined, 405],
  ])("%s %s %j → %i", async (method, route, body, status) => {
    const answer = await server.api(method, route, body);
    expect(answer.status, JSON.stringify(answer.body)).toBe(status);
    expect(answer.body.error.code).toBeTruthy();
  });

  it("junk node page queries are a 422 naming the parameter", async () => {
    for (const query of ["outcome=gone", "limit=5000", "after=%01x"]) {
      const answer = await server.api("GET", `/api/cleanups/${cleanupId}/nodes?${query}`);
      expect(answer.status, query).toBe(422);
      expect(answer.body.error.message).toContain(query.split("=")[0]);
    }
  });

  it("removes the artifact in the background, and records it, while a node still has not answered", async () => {
    const artifact = await publishAndWait(server, imageId);
    const answer = await server.api("POST", "/api/cleanup", {
      imageId,
      hypervisors: ["hv-stuck"],
      removeArtifact: true,
      purgeProxies: false,
    });
    expect(answer.status).toBe(202);
    expect(answer.body.cleanup).toMatchObject({ removeArtifact: true, purgeProxies: false });
    const id = answer.body.cleanup.id;
    await expect.poll(async () => (await detail(id)).artifact).toEqual({ outcome: "removed", purges: [], error: null });
    expect(await detail(id)).toMatchObject({ state: "running", counts: { pending: 1 } });
    expect((await fetch(artifact.url)).status).toBe(404);
    expect((await server.api("GET", `/api/images/${imageId}`)).body.image.artifact).toBeNull();
    await expect.poll(() => liveOf(id).some((change) => change.artifact?.outcome === "removed")).toBe(true);
  });

  it("a node that never answers times out after 30 s; then the cleanup is done, live and in the history", async () => {
    await expect.poll(async () => (await detail(cleanupId)).state, { timeout: 45_000 }).toBe("done");
    const cleanup = await detail(cleanupId);
    expect(cleanup.finishedAt).not.toBeNull();
    expect(cleanup.counts).toMatchObject({ pending: 0, timeout: 1 });
    expect(outcomesByName(cleanup)["hv-stuck"]).toMatchObject({
      outcome: "timeout",
      error: "TIMEOUT: hypervisor hv-stuck did not answer image:delete within 30 s",
    });
    await expect.poll(() => liveOf(cleanupId).at(-1)?.state).toBe("done");
    expect(
      liveOf(cleanupId)
        .flatMap((change) => change.nodes)
        .find((node) => node.name === "hv-stuck")?.outcome,
    ).toBe("timeout");
  }, 60_000);
});

describe("a cleanup running when its server stops", () => {
  it("is interrupted by a graceful stop, and still says so after the restart", async () => {
    const dataDir = smallImageDataDir();
    const first = await startTestServer({ PRECACHE_DATA_DIR: dataDir });
    const stuck = await connectRawNode(first.url, "hv-stuck");
    const imageId = (await first.api("GET", "/api/images")).body.images[0].id;
    const started = await first.api("POST", "/api/cleanup", { imageId, hypervisors: ["hv-stuck", "hv-ghost"] });
    expect(started.status).toBe(202);
    const id = started.body.cleanup.id;
    await expect.poll(async () => (await first.api("GET", `/api/cleanups/${id}`)).body.cleanup.counts.offline).toBe(1);
    const closing = performance.now();
    await first.close();
    // The stuck node's 30 s timeout did not hold up the stop.
    expect(performance.now() - closing).toBeLessThan(15_000);
    stuck.close();

    const second = await startTestServer({ PRECACHE_DATA_DIR: dataDir });
    try {
      const cleanup = (await second.api("GET", `/api/cleanups/${id}`)).body.cleanup;
      expect(cleanup).toMatchObject({ state: "interrupted", counts: { pending: 0, offline: 1, interrupted: 1 } });
      expect(cleanup.finishedAt).not.toBeNull();
      expect(outcomesByName(cleanup)["hv-stuck"]).toMatchObject({
        outcome: "interrupted",
        error: expect.stringMatching(/^the server stopped before this node answered/),
      });
      expect((await second.api("GET", "/api/cleanups?state=interrupted")).body.cleanups.map((row: { id: string }) => row.id)).toEqual([id]);
    } finally {
      await second.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it("is marked interrupted at the next start after a crash (SIGKILL), with its artifact step", async () => {
    const dataDir = smallImageDataDir();
    const server = await startServerProcess({ dataDir });
    let stuck: RawNode | null = null;
    try {
      stuck = await connectRawNode(server.url, "hv-stuck");
      const imageId = await waitFor("the image", async () => (await server.api("GET", "/api/images")).body.images[0]?.id as string);
      const started = await server.api("POST", "/api/cleanup", {
        imageId,
        hypervisors: ["hv-stuck"],
        removeArtifact: true,
        purgeProxies: false,
      });
      expect(started.status).toBe(202);
      const id = started.body.cleanup.id;
      // Not published: the artifact step ends "absent" at once; the stuck node keeps it running.
      await expect.poll(async () => (await server.api("GET", `/api/cleanups/${id}`)).body.cleanup.artifact.outcome).toBe("absent");
      await server.kill();
      stuck.close();
      await server.restart();
      const cleanup = (await server.api("GET", `/api/cleanups/${id}`)).body.cleanup;
      expect(cleanup).toMatchObject({ state: "interrupted", counts: { interrupted: 1 }, artifact: { outcome: "absent" } });
      expect(outcomesByName(cleanup)["hv-stuck"].outcome).toBe("interrupted");
    } finally {
      stuck?.close();
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describeEachDatabaseServer("a cleanup's history", {}, (server) => {
  it("records each node's outcome, the totals and the list", async () => {
    const holder = await connectRawNode(server().url, "hv-db-holder");
    holder.socket.on("image:delete", (_command, ack) => ack({ ok: true, data: { deleted: true, freedBytes: 1024 } }));
    try {
      const imageId = (await server().api("GET", "/api/images")).body.images[0].id;
      const cleanup = await cleanupAndWait(server(), { imageId, hypervisors: ["hv-db-holder", "hv-db-ghost"] });
      expect(cleanup).toMatchObject({ state: "done", nodes: 2, counts: { deleted: 1, offline: 1, pending: 0 }, freedBytes: 1024 });
      expect(outcomesByName(cleanup)["hv-db-holder"]).toMatchObject({ outcome: "deleted", freedBytes: 1024 });
      const list = (await server().api("GET", `/api/cleanups?imageId=${imageId}&limit=1`)).body;
      expect(list.cleanups[0]).toMatchObject({ id: cleanup.id, freedBytes: 1024, counts: { deleted: 1, offline: 1 } });
      const offline = (await server().api("GET", `/api/cleanups/${cleanup.id}/nodes?outcome=offline`)).body;
      expect(offline.nodes.map((node: { name: string }) => node.name)).toEqual(["hv-db-ghost"]);
    } finally {
      holder.close();
    }
  });
});
