// DELETE /api/groups/{name} against the real server: a group goes once nothing depends on it;
// members or an unfinished rollout to it are a 409 saying what to do, and every try is audited.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/test-server.ts";

describe("deleting a group", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
    const saved = await server.api("POST", "/api/topology", {
      groups: ["rack-a", "rack-b", "rack-c"].map((name) => ({ name, proxies: ["http://squid-1:3128"] })),
    });
    expect(saved.status).toBe(200);
    await server.context.db.hypervisor.create({ data: { name: "hv-1", group: "rack-a", proxies: [] } });
    const imageId = "img-group-delete";
    await server.context.db.image.create({ data: { id: imageId, name: imageId, status: "active", source: "test" } });
    await server.context.db.rollout.create({ data: { imageId, state: "running", selector: { groups: ["rack-b"] } } });
  });
  afterAll(async () => {
    await server?.close();
    if (server?.dataDir) fs.rmSync(server.dataDir, { recursive: true, force: true });
  });

  const groupNames = async () => (await server.api("GET", "/api/topology")).body.topology.groups.map((g: { name: string }) => g.name);

  it("refuses while a hypervisor belongs to it, naming how many", async () => {
    const refused = await server.api("DELETE", "/api/groups/rack-a");
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe("group rack-a still has 1 hypervisor: move them to another group (or none) first");
    expect(await groupNames()).toContain("rack-a");
  });

  it("refuses while an unfinished rollout targets it", async () => {
    const refused = await server.api("DELETE", "/api/groups/rack-b");
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/^rollout .+ targets group rack-b: let it finish or cancel it first$/);
  });

  it("deletes an unused group, audits it, and 404s the second time", async () => {
    const deleted = await server.api("DELETE", "/api/groups/rack-c");
    expect(deleted).toEqual({ status: 200, body: { ok: true } });
    expect(await groupNames()).toEqual(["rack-a", "rack-b"]);
    expect((await server.api("DELETE", "/api/groups/rack-c")).status).toBe(404);
    const audit = await server.api("GET", "/api/audit?action=group.delete");
    const outcomes = audit.body.events.map((event: { target: string; outcome: string }) => `${event.target} ${event.outcome}`);
    expect(outcomes).toEqual(expect.arrayContaining(["rack-c ok", "rack-c failed", "rack-a failed", "rack-b failed"]));
  });

  it("a member moved out frees the group", async () => {
    expect((await server.api("POST", "/api/hypervisors/hv-1/group", { group: null })).status).toBe(200);
    expect((await server.api("DELETE", "/api/groups/rack-a")).status).toBe(200);
    expect(await groupNames()).not.toContain("rack-a");
  });
});
