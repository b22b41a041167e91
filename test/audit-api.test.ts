// GET /api/audit against the real server: what operators did, and how it ended, is on record;
// junk queries are refused by name.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditRoutes } from "../server/http/audit-routes.ts";
import { startTestServer, type TestServer } from "./support/test-server.ts";

describe("audit API", () => {
  let server: TestServer;
  let imageId: string;
  let imageDir: string;

  beforeAll(async () => {
    imageDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-audit-images-"));
    fs.writeFileSync(path.join(imageDir, "tiny.raw"), Buffer.alloc(64 * 1024, 7));
    server = await startTestServer({ PRECACHE_IMAGE_DIR: imageDir });
    imageId = (await server.api("GET", "/api/images")).body.images[0].id;
  });
  afterAll(async () => {
    await server?.close();
    for (const dir of [imageDir, server?.dataDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("records a failed rollout (unknown image) with who, from where, what and why", async () => {
    const refused = await server.api("POST", "/api/rollouts", { imageId: "no-such-image" });
    expect(refused.status).toBe(404);
    const { status, body } = await server.api("GET", "/api/audit?action=rollout.create&outcome=failed");
    expect(status).toBe(200);
    expect(body.events).toHaveLength(1);
    expect(body.events[0]).toMatchObject({
      actor: "token:bootstrap",
      action: "rollout.create",
      imageId: "no-such-image",
      outcome: "failed",
    });
    expect(body.events[0].address).toMatch(/127\.0\.0\.1/);
    expect(body.events[0].detail.error).toMatch(/^IMAGE_NOT_FOUND/);
  });

  it("records a successful pin, found by an action prefix and by image", async () => {
    expect((await server.api("POST", `/api/images/${imageId}/pin`, { pinned: true })).status).toBe(200);
    const byPrefix = await server.api("GET", "/api/audit?action=image.&outcome=ok");
    expect(byPrefix.body.events.map((event: { action: string }) => event.action)).toEqual(["image.pin"]);
    const byImage = await server.api("GET", `/api/audit?imageId=${encodeURIComponent(imageId)}`);
    expect(byImage.body.events[0]).toMatchObject({ action: "image.pin", target: imageId, outcome: "ok", actor: "token:bootstrap" });
    expect(new Date(byImage.body.events[0].at).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it("pages newest first", async () => {
    for (const pinned of [false, true, false]) await server.api("POST", `/api/images/${imageId}/pin`, { pinned });
    const first = await server.api("GET", "/api/audit?action=image.pin&limit=2");
    expect(first.body.events).toHaveLength(2);
    expect(first.body.nextBefore).toBe(first.body.events[1].id);
    const second = await server.api("GET", `/api/audit?action=image.pin&limit=2&before=${first.body.nextBefore}`);
    expect(second.body.events).toHaveLength(2);
    expect(second.body.nextBefore).toBeNull();
    const ids = [...first.body.events, ...second.body.events].map((event: { id: string }) => BigInt(event.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : 1)));
  });

  it.each([
    ["limit=abc", "limit"],
    ["limit=100000", "limit"],
    ["before=1e3", "before"],
    ["from=not-a-time", "from"],
    ["actor=a%00b", "actor"],
    ["imageId=%zz", "imageId"],
    ["outcome=%E0%A4%A", "outcome"],
    ["%zz=1", "%zz"],
    ["limit=1&limit=1", "limit"],
  ])("answers ?%s with a 422 naming %s", async (query, name) => {
    const { status, body } = await server.api("GET", `/api/audit?${query}`);
    expect(status).toBe(422);
    expect(body.error.code).toBe("VALIDATION_FAILED");
    expect(body.error.message).toContain(`"${name}"`);
  });

  it("is refused without credentials, and needs at least the operator role", async () => {
    const response = await fetch(`${server.url}/api/audit`);
    expect(response.status).toBe(401);
    // Viewers are refused by the router (handle-api.ts) from this declaration.
    expect(auditRoutes.find((route) => route.path.test("/api/audit"))?.role).toBe("operator");
  });
});
