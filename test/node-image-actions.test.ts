// One node's copy of one image, with a real server and real agents: removing it deletes the base
// file from that agent's cache dir and the dashboards see the cell go absent; re-fetching downloads
// and verifies it again (a new file, even over a verified copy); pinned, offline, unknown, junk and
// viewers are refused with the right status.
import fs from "node:fs";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseFilePath } from "../agent/download/cache-paths.ts";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import { UI_NAMESPACE, type UiDelta } from "../protocol/ui.ts";
import { signInAs } from "./support/operator-client.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { API_TOKEN, publishAndWait, rolloutAndWait, startTestServer, waitFor, type TestServer } from "./support/test-server.ts";

const ADMIN_PASSWORD = "node-image-admin-pw";

describe("removing and re-fetching an image on one node", () => {
  let server: TestServer;
  const agents = new Map<string, PrecacheAgent>();
  let image: { id: string; name: string; size: number };
  let ui: Socket;
  const deltas: UiDelta[] = [];
  const file = (name: string) => baseFilePath(agents.get(name)!.config.cacheDir, image.id);
  const nodeImage = (name: string, imageId = image.id) => `/api/hypervisors/${name}/images/${imageId}`;
  const cellOf = async (name: string) =>
    (await server.api("GET", `/api/hypervisors/${name}`)).body.hypervisor.images.find(
      (cell: { imageId: string }) => cell.imageId === image.id,
    );

  beforeAll(async () => {
    server = await startTestServer({ PRECACHE_ADMIN_PASSWORD: ADMIN_PASSWORD });
    for (const name of ["hv-1", "hv-2"]) agents.set(name, await startTestAgent(server.url, name));
    image = (await server.api("GET", "/api/images")).body.images[0];
    await publishAndWait(server, image.id);
    expect((await rolloutAndWait(server, { imageId: image.id })).counts.done).toBe(2);
    ui = io(server.url + UI_NAMESPACE, { auth: { token: API_TOKEN }, transports: ["websocket"], forceNew: true, reconnection: false });
    const snapshot = new Promise((resolve) => ui.once("state:snapshot", resolve));
    ui.on("state:delta", (delta: UiDelta) => deltas.push(delta));
    await snapshot;
  }, 120_000);
  afterAll(async () => {
    ui?.disconnect();
    await Promise.allSettled([...agents.values()].map((agent) => agent.stop()));
    await server?.close();
  });

  it("removes the copy: the file leaves the agent's cache dir and the cell goes absent, live", async () => {
    expect(fs.existsSync(file("hv-1"))).toBe(true);
    const removed = await server.api("DELETE", nodeImage("hv-1"));
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(removed.body).toEqual({ hypervisor: "hv-1", imageId: image.id, deleted: true, freedBytes: image.size });
    expect(fs.existsSync(file("hv-1"))).toBe(false);
    expect(await cellOf("hv-1")).toBeUndefined();
    await expect
      .poll(
        () =>
          deltas
            .flatMap((delta) => delta.cells)
            .filter((cell) => cell.hypervisor === "hv-1" && cell.imageId === image.id)
            .at(-1)?.state,
      )
      .toBe("absent");
    // The other node keeps its copy.
    expect(fs.existsSync(file("hv-2"))).toBe(true);
    expect((await server.api("DELETE", nodeImage("hv-1"))).status).toBe(404); // nothing left to remove
  });

  it("re-fetches: a one-node rollout places it again, verified", async () => {
    const answer = await server.api("POST", `${nodeImage("hv-1")}/refetch`, {});
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body.rollout.targets).toBe(1);
    const rollout = await waitFor("the re-fetch rollout", async () => {
      const { body } = await server.api("GET", `/api/rollouts/${answer.body.rollout.id}`);
      return body.rollout.state === "running" ? undefined : body.rollout;
    });
    expect(rollout).toMatchObject({ state: "done", selector: { hypervisors: ["hv-1"] }, createdBy: "token:bootstrap" });
    expect(fs.existsSync(file("hv-1"))).toBe(true);
    expect(await cellOf("hv-1")).toMatchObject({ state: "cached", verified: true, bytes: image.size });
  });

  it("re-fetches over a verified copy: the agent downloads again and replaces the file", async () => {
    const before = fs.statSync(file("hv-2")).ino;
    const answer = await server.api("POST", `${nodeImage("hv-2")}/refetch`, {});
    expect(answer.status).toBe(201);
    const rollout = await waitFor("the second re-fetch", async () => {
      const { body } = await server.api("GET", `/api/rollouts/${answer.body.rollout.id}`);
      return body.rollout.state === "running" ? undefined : body.rollout;
    });
    expect(rollout.state).toBe("done");
    expect(rollout.hypervisors[0]).toMatchObject({ name: "hv-2", state: "done", attempts: 1 });
    expect(fs.statSync(file("hv-2")).ino).not.toBe(before);
    expect(await cellOf("hv-2")).toMatchObject({ state: "cached", verified: true });
  });

  it("refuses a pinned image with 409, and unknown nodes, images and junk", async () => {
    await server.api("POST", `/api/images/${image.id}/pin`, { pinned: true });
    const pinned = await server.api("DELETE", nodeImage("hv-1"));
    expect(pinned.status).toBe(409);
    expect(pinned.body.error).toMatchObject({ code: "IMAGE_PINNED", message: expect.stringMatching(/unpin it first/) });
    expect(fs.existsSync(file("hv-1"))).toBe(true);
    await server.api("POST", `/api/images/${image.id}/pin`, { pinned: false });

    const status = async (method: string, route: string, body?: unknown) => {
      const answer = await server.api(method, route, body);
      return `${answer.status} ${answer.body.error?.code}`;
    };
    expect(await status("DELETE", nodeImage("hv-nowhere"))).toBe("404 NOT_FOUND");
    expect(await status("POST", `${nodeImage("hv-nowhere")}/refetch`, {})).toBe("404 NOT_FOUND");
    expect(await status("DELETE", nodeImage("hv-1", "no-such-image"))).toBe("404 IMAGE_NOT_FOUND");
    expect(await status("POST", `${nodeImage("hv-1", "no-such-image")}/refetch`, {})).toBe("404 IMAGE_NOT_FOUND");
    expect(await status("DELETE", nodeImage("hv-1", "bad%20id!"))).toBe("422 VALIDATION_FAILED");
    expect(await status("DELETE", nodeImage("hv%00bad"))).toBe("422 VALIDATION_FAILED");
    expect(await status("DELETE", nodeImage("hv-1", "%zz"))).toBe("400 BAD_REQUEST");
    expect(await status("POST", `${nodeImage("hv-1")}/refetch`, { force: "yes" })).toBe("422 VALIDATION_FAILED");
  });

  it("refuses a viewer with 403, audited as denied", async () => {
    const admin = await signInAs(server.url, { password: ADMIN_PASSWORD });
    expect((await admin.call("POST", "/api/users", { name: "vera", role: "viewer", password: "vera-password" })).status).toBe(201);
    const viewer = await signInAs(server.url, { username: "vera", password: "vera-password" });
    expect((await viewer.call("DELETE", nodeImage("hv-1"))).status).toBe(403);
    expect((await viewer.call("POST", `${nodeImage("hv-1")}/refetch`, {})).status).toBe(403);
    expect(fs.existsSync(file("hv-1"))).toBe(true);
    const denied = await server.context.db.auditEvent.findMany({ where: { actor: "vera", outcome: "denied" } });
    expect(denied.map((event) => event.action).sort()).toEqual(["hypervisor.refetch-image", "hypervisor.remove-image"]);
  });

  it("audits what operators did, with node and image", async () => {
    const done = await server.context.db.auditEvent.findMany({
      where: { action: { in: ["hypervisor.remove-image", "hypervisor.refetch-image"] }, outcome: "ok" },
      orderBy: { id: "asc" },
    });
    expect(done.map((event) => [event.action, event.target, event.imageId])).toEqual([
      ["hypervisor.remove-image", "hv-1", image.id],
      ["hypervisor.refetch-image", "hv-1", image.id],
      ["hypervisor.refetch-image", "hv-2", image.id],
    ]);
  });

  it("answers 409 NODE_OFFLINE for a node whose agent is gone, and leaves its cache alone", async () => {
    await agents.get("hv-2")!.stop();
    await waitFor("hv-2 offline", async () =>
      (await server.api("GET", "/api/hypervisors/hv-2")).body.hypervisor.online ? undefined : true,
    );
    for (const [method, route] of [
      ["DELETE", nodeImage("hv-2")],
      ["POST", `${nodeImage("hv-2")}/refetch`],
    ]) {
      const answer = await server.api(method, route, method === "POST" ? {} : undefined);
      expect(answer.status, route).toBe(409);
      expect(answer.body.error.code).toBe("NODE_OFFLINE");
    }
    expect(fs.existsSync(file("hv-2"))).toBe(true);
  });
});
