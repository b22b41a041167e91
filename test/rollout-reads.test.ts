// GET /api/rollouts (history: filters, keyset pages, 422s by name), GET /api/rollouts/:id/targets
// (pages of targets) and POST /api/rollouts/estimate against the real server. Targets are
// hypervisors without agents: rollouts to them stay running, and their rows are set directly.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishAndWait, startTestServer, type TestServer } from "./support/test-server.ts";

describe("rollout reads API", () => {
  let server: TestServer;
  let imageDir: string;
  const images: Record<string, string> = {};
  const rollouts: string[] = [];

  beforeAll(async () => {
    imageDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-rollout-reads-"));
    fs.writeFileSync(path.join(imageDir, "alpha.raw"), Buffer.alloc(64 * 1024, 1));
    fs.writeFileSync(path.join(imageDir, "beta.raw"), Buffer.alloc(32 * 1024, 2));
    server = await startTestServer({ PRECACHE_IMAGE_DIR: imageDir });
    for (const image of (await server.api("GET", "/api/images")).body.images) images[image.name] = image.id;
    for (const id of Object.values(images)) await publishAndWait(server, id);
    await server.context.db.hypervisor.createMany({
      data: Array.from({ length: 7 }, (_, index) => ({
        name: `hv-${String(index).padStart(2, "0")}`,
        group: index < 3 ? "rack-a" : "rack-b",
        proxies: [],
      })),
    });
    // Five rollouts, oldest first: alpha, beta, alpha, beta, alpha.
    for (const name of ["alpha.raw", "beta.raw", "alpha.raw", "beta.raw", "alpha.raw"]) {
      const created = await server.api("POST", "/api/rollouts", { imageId: images[name] });
      expect(created.status).toBe(201);
      rollouts.push(created.body.rollout.id);
    }
    await server.api("POST", `/api/rollouts/${rollouts[1]}/cancel`);
  });
  afterAll(async () => {
    await server?.close();
    for (const dir of [imageDir, server?.dataDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("lists newest first with image name, who started it, targets and counts", async () => {
    const { status, body } = await server.api("GET", "/api/rollouts");
    expect(status).toBe(200);
    expect(body.rollouts.map((r: { id: string }) => r.id)).toEqual([...rollouts].reverse());
    expect(body.nextBefore).toBeNull();
    const cancelled = body.rollouts.find((r: { id: string }) => r.id === rollouts[1]);
    expect(cancelled).toMatchObject({
      imageName: "beta.raw",
      state: "cancelled",
      createdBy: "token:bootstrap",
      targets: 7,
      counts: { cancelled: 7, pending: 0 },
    });
    expect(cancelled.finishedAt).not.toBeNull();
  });

  it("filters by image and state and pages with before", async () => {
    const alpha = await server.api("GET", `/api/rollouts?imageId=${images["alpha.raw"]}&limit=2`);
    expect(alpha.body.rollouts.map((r: { id: string }) => r.id)).toEqual([rollouts[4], rollouts[2]]);
    expect(alpha.body.nextBefore).toBe(rollouts[2]);
    const older = await server.api("GET", `/api/rollouts?imageId=${images["alpha.raw"]}&limit=2&before=${alpha.body.nextBefore}`);
    expect(older.body.rollouts.map((r: { id: string }) => r.id)).toEqual([rollouts[0]]);
    expect(older.body.nextBefore).toBeNull();
    const cancelled = await server.api("GET", "/api/rollouts?state=cancelled");
    expect(cancelled.body.rollouts.map((r: { id: string }) => r.id)).toEqual([rollouts[1]]);
    const running = await server.api("GET", `/api/rollouts?state=running&imageId=${images["beta.raw"]}`);
    expect(running.body.rollouts.map((r: { id: string }) => r.id)).toEqual([rollouts[3]]);
  });

  it.each([
    ["state=sideways", "state"],
    ["limit=0", "limit"],
    ["limit=201", "limit"],
    ["limit=ten", "limit"],
    ["before=not-a-uuid", "before"],
    ["before=00000000-0000-4000-8000-000000000000", "before"],
    ["imageId=%00", "imageId"],
    ["state=done&state=failed", "state"],
    ["colour=red", "colour"],
  ])("refuses %s naming %s", async (query, name) => {
    const { status, body } = await server.api("GET", `/api/rollouts?${query}`);
    expect(status).toBe(422);
    expect(body.error.message).toContain(`query parameter "${name}"`);
  });

  it("pages a rollout's targets by name, filtered by state (retrying: pending after an attempt)", async () => {
    const id = rollouts[4];
    await server.context.db.rolloutTarget.updateMany({
      where: { rolloutId: id, hypervisorName: { in: ["hv-01", "hv-04"] } },
      data: { state: "pending", attempts: 2, error: "FETCH_FAILED: connection reset by peer" },
    });
    await server.context.db.rolloutTarget.updateMany({
      where: { rolloutId: id, hypervisorName: "hv-05" },
      data: { state: "failed", attempts: 3, error: "HTTP_ERROR: 503 from squid" },
    });
    const first = await server.api("GET", `/api/rollouts/${id}/targets?limit=3`);
    expect(first.status).toBe(200);
    expect(first.body.targets.map((t: { name: string }) => t.name)).toEqual(["hv-00", "hv-01", "hv-02"]);
    expect(first.body.nextAfter).toBe("hv-02");
    const rest = await server.api("GET", `/api/rollouts/${id}/targets?limit=3&after=${first.body.nextAfter}`);
    expect(rest.body.targets.map((t: { name: string }) => t.name)).toEqual(["hv-03", "hv-04", "hv-05"]);
    const last = await server.api("GET", `/api/rollouts/${id}/targets?limit=3&after=hv-05`);
    expect(last.body).toMatchObject({ targets: [{ name: "hv-06" }], nextAfter: null });
    const retrying = await server.api("GET", `/api/rollouts/${id}/targets?state=retrying`);
    expect(retrying.body.targets).toMatchObject([
      { name: "hv-01", attempts: 2, error: "FETCH_FAILED: connection reset by peer" },
      { name: "hv-04", attempts: 2 },
    ]);
    const failed = await server.api("GET", `/api/rollouts/${id}/targets?state=failed`);
    expect(failed.body.targets).toMatchObject([{ name: "hv-05", attempts: 3, error: "HTTP_ERROR: 503 from squid" }]);
    const view = (await server.api("GET", `/api/rollouts/${id}`)).body.rollout;
    expect(view).toMatchObject({ imageName: "alpha.raw", targets: 7, retrying: 2, counts: { failed: 1 }, hypervisorsInline: true });
    expect(view.hypervisors).toHaveLength(7);
    expect((await server.api("GET", `/api/rollouts/${id}/targets?state=bogus`)).status).toBe(422);
    expect((await server.api("GET", `/api/rollouts/${id}/targets?limit=1001`)).status).toBe(422);
    expect((await server.api("GET", "/api/rollouts/00000000-0000-4000-8000-000000000000/targets")).status).toBe(404);
    expect((await server.api("GET", "/api/rollouts/00000000-0000-4000-8000-000000000000")).status).toBe(404);
  });

  it("estimates targets and the planner's seconds for Squid only and peers", async () => {
    await server.api("POST", "/api/topology", { groups: [{ name: "rack-a", proxies: ["http://squid-a:3128"], bandwidthMbps: 1000 }] });
    const estimate = (query: string) => server.api("GET", `/api/images/${images["alpha.raw"]}/estimate${query}`);
    const all = await estimate("");
    expect(all.status).toBe(200);
    expect(all.body.estimate).toMatchObject({
      image: { name: "alpha.raw", size: 64 * 1024, isReady: true },
      targets: 7,
      groups: [
        { name: "rack-a", hypervisors: 3 },
        { name: "rack-b", hypervisors: 4 },
      ],
      proxies: 1,
    });
    expect(all.body.estimate.squidSeconds).toBeGreaterThan(0);
    expect(all.body.estimate.peerSeconds).toBeGreaterThan(0);
    const rack = await estimate("?group=rack-a");
    expect(rack.body.estimate.targets).toBe(3);
    expect(rack.body.estimate.squidSeconds).toBeLessThan(all.body.estimate.squidSeconds);
    expect((await estimate("?group=rack-a&group=rack-b")).body.estimate.targets).toBe(7);
    const jitter = await estimate("?strategy=jitter&jitterSeconds=600");
    expect(jitter.body.estimate.squidSeconds).toBeGreaterThan(all.body.estimate.squidSeconds);
    expect((await server.api("GET", "/api/images/nope/estimate")).status).toBe(404);
    for (const [query, name] of [
      ["?hypervisors=x", "hypervisors"],
      ["?strategy=fast", "strategy"],
      ["?jitterSeconds=-1", "jitterSeconds"],
      ["?group=%00", "group"],
    ]) {
      const refused = await estimate(query);
      expect(refused.status).toBe(422);
      expect(refused.body.error.message).toContain(`query parameter "${name}"`);
    }
  });
});
