// Bad OpenStack settings against a real Keystone (DESIGN §8) show up where an operator looks, not
// only in the log: /api/health names the failing dependency, /api/images carries the failure next
// to the last good list, and a manual sync answers 502 with the same clear text (never 500).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGlance, type FakeGlance } from "./fake-glance/fake-glance.ts";
import { keystoneSkipReason, startKeystone, type RunningKeystone } from "./support/keystone.ts";
import { startTestServer, type TestServer } from "./support/test-server.ts";

describe.skipIf(keystoneSkipReason())("image source health against a real Keystone", () => {
  let keystone: RunningKeystone;
  let glance: FakeGlance;
  const servers: TestServer[] = [];
  const settings = () => ({
    OS_AUTH_URL: keystone.url,
    OS_USERNAME: "image-reader",
    OS_PASSWORD: "reader-pw",
    OS_PROJECT_NAME: "precache-images",
    OS_USER_DOMAIN_NAME: "Default",
    OS_PROJECT_DOMAIN_NAME: "Default",
    OS_REGION_NAME: "RegionOne",
  });
  const start = async (vars: Record<string, string>) => {
    const server = await startTestServer(vars);
    servers.push(server);
    return server;
  };
  const health = async (server: TestServer) => {
    const response = await fetch(`${server.url}/api/health`);
    return { status: response.status, body: await response.json() };
  };

  beforeAll(async () => {
    keystone = await startKeystone();
    const project = await keystone.createProject("precache-images");
    await keystone.createUser(project, { name: "image-reader", password: "reader-pw", roles: ["member"] });
    // Glance itself is not under test: a token-less fake stands in, listed in the real catalog.
    glance = await startFakeGlance({ images: [{ name: "cirros" }], requireToken: false });
    await addImageEndpoint(keystone, glance.url);
  }, 180_000);
  afterAll(async () => {
    for (const server of servers) await server.close();
    await glance?.close();
    await keystone?.stop();
  });

  it("with right settings everything is ok (the setup itself works)", async () => {
    const server = await start(settings());
    expect((await server.api("GET", "/api/images")).body).toMatchObject({
      images: [{ name: "cirros" }],
      source: { kind: "glance", state: "ok", lastError: null },
    });
    expect(await health(server)).toMatchObject({
      status: 200,
      body: { ok: true, dependencies: { imageSource: { state: "ok" }, keystone: { state: "ok" } } },
    });
  });

  it("a wrong password: health degraded with the reason, images carry it, sync answers 502 GLANCE_AUTH_FAILED", async () => {
    const server = await start({ ...settings(), OS_PASSWORD: "wrong-pw" });
    const reason = /keystone rejected the credentials for user image-reader/;
    const { status, body } = await health(server);
    expect(status).toBe(200);
    expect(body.dependencies.imageSource).toMatchObject({ state: "degraded", lastError: expect.stringMatching(reason) });
    expect(body.dependencies.keystone).toMatchObject({ state: "degraded", lastError: expect.stringMatching(reason) });
    expect(JSON.stringify(body)).not.toContain("wrong-pw");
    expect((await server.api("GET", "/api/images")).body).toMatchObject({
      images: [],
      source: { state: "degraded", lastError: expect.stringMatching(reason), lastSyncedAt: null },
    });
    const sync = await server.api("POST", "/api/images/sync");
    expect(sync).toMatchObject({ status: 502, body: { error: { code: "GLANCE_AUTH_FAILED", message: expect.stringMatching(reason) } } });
  });

  it("a wrong region: 502 GLANCE_NOT_IN_CATALOG naming the region and what the catalog has", async () => {
    const server = await start({ ...settings(), OS_REGION_NAME: "RegionNowhere" });
    const reason = /no image endpoint with interface "public" in region "RegionNowhere".*available: public\/RegionOne/;
    const sync = await server.api("POST", "/api/images/sync");
    expect(sync.status, JSON.stringify(sync.body)).toBe(502); // was a 500 INTERNAL, the reason only in the log
    expect(sync.body.error).toMatchObject({ code: "GLANCE_NOT_IN_CATALOG", message: expect.stringMatching(reason) });
    expect((await health(server)).body.dependencies.imageSource).toMatchObject({
      state: "degraded",
      lastError: expect.stringMatching(reason),
    });
    expect((await server.api("GET", "/api/images")).body.source).toMatchObject({
      state: "degraded",
      lastError: expect.stringMatching(reason),
    });
  });

  it("Keystone stopped: the last good list stays, marked with the failure and when it was read", async () => {
    const first = await start(settings());
    const synced = (await first.api("GET", "/api/images")).body.source.lastSyncedAt;
    await first.close();
    servers.splice(servers.indexOf(first), 1);
    await keystone.stop();

    // The same data dir: a restart while Keystone is down still shows what was read before.
    const server = await start({ ...settings(), PRECACHE_DATA_DIR: first.dataDir });
    const reason = /keystone at http:\/\/127\.0\.0\.1:\d+\/v3\/auth\/tokens is unreachable: ECONNREFUSED/;
    const { status, body } = await health(server);
    expect(status).toBe(200);
    expect(body.dependencies).toMatchObject({
      database: { state: "ok" },
      imageSource: { state: "degraded" },
      keystone: { state: "degraded", lastError: expect.stringMatching(reason) },
    });
    const images = (await server.api("GET", "/api/images")).body;
    expect(images.images).toMatchObject([{ name: "cirros" }]);
    expect(images.source).toMatchObject({ state: "degraded", lastError: expect.stringMatching(reason), lastFailedAt: expect.any(String) });
    expect(synced).toEqual(expect.any(String));
    const sync = await server.api("POST", "/api/images/sync");
    expect(sync).toMatchObject({ status: 502, body: { error: { code: "GLANCE_UNREACHABLE", message: expect.stringMatching(reason) } } });
  });
});

async function addImageEndpoint(keystone: RunningKeystone, url: string): Promise<void> {
  const call = async (route: string, body: unknown) => {
    const response = await fetch(keystone.url + route, {
      method: "POST",
      headers: { "x-auth-token": await keystone.adminToken(), "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`keystone POST ${route}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  const { service } = await call("/services", { service: { type: "image", name: "glance" } });
  await call("/endpoints", { endpoint: { service_id: service.id, interface: "public", url, region_id: "RegionOne" } });
}
