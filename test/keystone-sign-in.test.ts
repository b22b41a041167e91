// Sign-in with OpenStack credentials against a real Keystone (Debian's package, DESIGN §8): the
// user's roles on the configured project map to a Precache role; the highest mapped one wins.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keystoneSkipReason, startKeystone, type RunningKeystone } from "./support/keystone.ts";
import { signInAs, trySignIn } from "./support/operator-client.ts";
import { startTestServer, type TestServer } from "./support/test-server.ts";

describe.skipIf(keystoneSkipReason())("sign-in through a real Keystone", () => {
  let keystone: RunningKeystone;
  let server: TestServer;

  beforeAll(async () => {
    keystone = await startKeystone();
    const project = await keystone.createProject("precache-ops");
    const other = await keystone.createProject("elsewhere");
    await keystone.createUser(project, { name: "kate", password: "kate-pw", roles: ["admin"] });
    await keystone.createUser(project, { name: "mike", password: "mike-pw", roles: ["member"] });
    await keystone.createUser(project, { name: "rita", password: "rita-pw", roles: ["reader"] });
    await keystone.createUser(project, { name: "nora", password: "nora-pw", roles: ["unmapped-role"] });
    await keystone.createUser(other, { name: "olga", password: "olga-pw", roles: ["admin"] });
    server = await startTestServer({
      PRECACHE_ADMIN_PASSWORD: "bootstrap-pw",
      PRECACHE_KEYSTONE_URL: keystone.url, // defaults to OS_AUTH_URL, which would also point Glance at it
      PRECACHE_KEYSTONE_PROJECT: "precache-ops",
    });
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await keystone?.stop();
  });

  it("maps Keystone roles on the project to Precache roles, highest first (admin implies member and reader)", async () => {
    const kate = await signInAs(server.url, { username: "kate", password: "kate-pw" });
    const mike = await signInAs(server.url, { username: "mike", password: "mike-pw" });
    const rita = await signInAs(server.url, { username: "rita", password: "rita-pw", domain: "Default" });
    expect([kate.user, mike.user, rita.user]).toEqual([
      { name: "kate", role: "admin", source: "keystone" },
      { name: "mike", role: "operator", source: "keystone" },
      { name: "rita", role: "viewer", source: "keystone" },
    ]);
    expect((await rita.call("POST", "/api/images/sync")).status).toBe(403);
    expect((await mike.call("POST", "/api/topology", {})).status).toBe(403);
    expect((await kate.call("GET", "/api/users")).status).toBe(200);
  });

  it("refuses a wrong password, an unmapped role and a user without a role on the project", async () => {
    for (const [username, password] of [
      ["kate", "wrong"],
      ["nora", "nora-pw"],
      ["olga", "olga-pw"],
      ["nobody", "x"],
    ]) {
      const answer = await trySignIn(server.url, { username, password });
      expect(answer.status, `${username}: ${JSON.stringify(answer.body)}`).toBe(401);
    }
    expect((await trySignIn(server.url, { username: "nora", password: "nora-pw" })).status).toBe(401);
    expect((await trySignIn(server.url, { username: "olga", password: "olga-pw" })).status).toBe(401);
    expect((await trySignIn(server.url, { username: "nobody", password: "x" })).status).toBe(401);
    const denied = await server.context.db.auditEvent.findMany({ where: { action: "session.sign-in", outcome: "denied", actor: "nora" } });
    expect(denied[0].detail).toMatchObject({ reason: expect.stringMatching(/no mapped role on project precache-ops/) });
  });

  it("Keystone users appear in the user list; disabling one locks them out although Keystone says yes", async () => {
    const admin = await signInAs(server.url, { password: "bootstrap-pw" });
    const { users } = (await admin.call("GET", "/api/users")).body;
    expect(
      users
        .filter((user: { source: string }) => user.source === "keystone")
        .map((user: { name: string; role: string }) => `${user.name}:${user.role}`),
    ).toEqual(["kate:admin", "mike:operator", "rita:viewer"]);
    expect((await admin.call("POST", "/api/users/mike", { role: "admin" })).status).toBe(409); // the role lives in Keystone
    expect((await admin.call("POST", "/api/users/mike", { disabled: true })).status).toBe(200);
    expect((await trySignIn(server.url, { username: "mike", password: "mike-pw" })).status).toBe(401);
  });
});
