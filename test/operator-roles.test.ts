// Accounts with roles (issue 8, "What to build" 3): admins manage local accounts; a viewer is
// refused every state change, an operator every admin route; the bootstrap admin always works.
import { expect, it } from "vitest";
import { routes } from "../server/http/handle-api.ts";
import { describeEachDatabaseServer } from "./support/each-database-server.ts";
import { signInAs, trySignIn, type OperatorClient } from "./support/operator-client.ts";
import { API_TOKEN } from "./support/test-server.ts";

const ADMIN_PASSWORD = "bootstrap-admin-pw";
const UUID = "00000000-0000-4000-8000-000000000000";

// One concrete request per mutating route; every mutating route in the table must have one.
const mutations: { method: string; path: string; body: unknown }[] = [
  { method: "POST", path: "/api/images/sync", body: {} },
  { method: "POST", path: "/api/images/no-such-image/publish", body: {} },
  { method: "POST", path: "/api/images/no-such-image/pin", body: { pinned: true } },
  { method: "POST", path: "/api/rollouts", body: { imageId: "no-such-image" } },
  ...["cancel", "pause", "resume", "retry"].map((verb) => ({ method: "POST", path: `/api/rollouts/${UUID}/${verb}`, body: {} })),
  { method: "POST", path: "/api/topology", body: {} },
  { method: "POST", path: "/api/hypervisors/hv-1/group", body: { group: "rack-1" } },
  { method: "DELETE", path: "/api/hypervisors/hv-1/images/no-such-image", body: {} },
  { method: "POST", path: "/api/hypervisors/hv-1/images/no-such-image/refetch", body: {} },
  { method: "DELETE", path: "/api/groups/rack-none", body: {} },
  { method: "POST", path: "/api/cleanup", body: { imageId: "no-such-image" } },
  { method: "POST", path: "/api/users", body: { name: "mallory", role: "admin", password: "mallory-password" } },
  { method: "POST", path: "/api/users/victim", body: { role: "viewer" } },
  { method: "DELETE", path: "/api/users/victim", body: {} },
  { method: "POST", path: "/api/agents/no-such-node/revoke", body: {} },
  { method: "POST", path: "/api/agents/no-such-node/reset", body: {} },
];
// Self-service: everyone signed in may sign out, and manage their own tokens and sessions.
const isSelfService = (path: RegExp) => /^\^\\\/api\\\/(session|sessions|tokens)\b/.test(path.source);
const adminOnly = (path: string) => routes.find((route) => route.method !== "GET" && route.path.test(path))?.role === "admin";

it("has a sample request for every mutating route", () => {
  for (const route of routes.filter((candidate) => candidate.method !== "GET" && !candidate.isPublic)) {
    if (isSelfService(route.path)) continue;
    const sample = mutations.find((mutation) => mutation.method === route.method && route.path.test(mutation.path));
    expect(sample, `no sample for ${route.method} ${route.path}`).toBeDefined();
  }
});

describeEachDatabaseServer("operators with roles", { PRECACHE_ADMIN_PASSWORD: ADMIN_PASSWORD }, (server) => {
  let admin: OperatorClient;
  let viewer: OperatorClient;
  let operator: OperatorClient;

  it("the bootstrap admin signs in with the password alone, or as admin, and creates accounts", async () => {
    admin = await signInAs(server().url, { password: ADMIN_PASSWORD });
    expect(admin.user).toEqual({ name: "admin", role: "admin", source: "local" });
    await signInAs(server().url, { username: "admin", password: ADMIN_PASSWORD });
    await signInAs(server().url, { password: API_TOKEN }); // the API token is accepted at sign-in too
    for (const [name, role] of [
      ["vera", "viewer"],
      ["otto", "operator"],
      ["ada", "admin"],
      ["victim", "viewer"],
    ]) {
      const created = await admin.call("POST", "/api/users", { name, role, password: `${name}-password` });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.user).toMatchObject({ name, role, source: "local", disabled: false });
      expect(JSON.stringify(created.body)).not.toContain("scrypt");
    }
    expect((await admin.call("POST", "/api/users", { name: "VERA", role: "viewer", password: "whatever-pw" })).status).toBe(409);
    expect((await admin.call("POST", "/api/users", { name: "admin", role: "viewer", password: "whatever-pw" })).status).toBe(409);
    expect((await admin.call("POST", "/api/users", { name: "bad name\u0000", role: "viewer", password: "whatever-pw" })).status).toBe(422);
    const stored = await server().context.db.user.findUnique({ where: { name: "vera" } });
    expect(stored!.passwordHash).toMatch(/^scrypt\$32768\$8\$3\$/);
    const { body } = await admin.call("GET", "/api/users");
    expect(body.users.map((user: { name: string }) => user.name)).toEqual(["ada", "admin", "otto", "vera", "victim"]);
    expect(body.users.find((user: { name: string }) => user.name === "admin")).toMatchObject({ isBootstrap: true, role: "admin" });
  });

  it("local accounts sign in with their own password only", async () => {
    viewer = await signInAs(server().url, { username: "vera", password: "vera-password" });
    operator = await signInAs(server().url, { username: "otto", password: "otto-password" });
    expect(viewer.user).toEqual({ name: "vera", role: "viewer", source: "local" });
    expect((await trySignIn(server().url, { username: "vera", password: "otto-password" })).status).toBe(401);
    expect((await trySignIn(server().url, { username: "nobody", password: "otto-password" })).status).toBe(401);
    expect((await viewer.call("GET", "/api/session")).body).toEqual({
      authenticated: true,
      user: { name: "vera", role: "viewer", via: "session" },
    });
  });

  it("a viewer reads, and is refused every state change with 403", async () => {
    expect((await viewer.call("GET", "/api/images")).status).toBe(200);
    expect((await viewer.call("GET", "/api/topology")).status).toBe(200);
    for (const mutation of mutations) {
      const answer = await viewer.call(mutation.method, mutation.path, mutation.body);
      expect(answer.status, `${mutation.method} ${mutation.path}`).toBe(403);
      expect(answer.body.error.code).toBe("FORBIDDEN");
    }
    expect((await viewer.call("GET", "/api/users")).status).toBe(403);
  });

  it("an operator does operator work, and is refused admin routes with 403", async () => {
    for (const mutation of mutations) {
      const answer = await operator.call(mutation.method, mutation.path, mutation.body);
      if (adminOnly(mutation.path)) expect(answer.status, `${mutation.method} ${mutation.path}`).toBe(403);
      else expect([401, 403], `${mutation.method} ${mutation.path}: ${JSON.stringify(answer.body)}`).not.toContain(answer.status);
    }
    expect((await operator.call("GET", "/api/users")).status).toBe(403);
  });

  it("refusals are audited with who and from where", async () => {
    const denied = await server().context.db.auditEvent.findMany({ where: { actor: "vera", outcome: "denied" } });
    expect(denied.map((event) => event.action)).toEqual(expect.arrayContaining(["topology.update", "rollout.create", "user.create"]));
    expect(denied[0].address).toBe("127.0.0.1");
  });

  it("an admin changes a role, resets a password, disables and deletes, each ending the user's sessions", async () => {
    const other = await signInAs(server().url, { username: "victim", password: "victim-password" });
    expect((await admin.call("POST", "/api/users/victim", { role: "operator" })).body.user.role).toBe("operator");
    expect((await other.call("GET", "/api/images")).status).toBe(401);
    expect((await admin.call("POST", "/api/users/victim", { password: "victim-password-2" })).status).toBe(200);
    expect((await trySignIn(server().url, { username: "victim", password: "victim-password" })).status).toBe(401);
    const again = await signInAs(server().url, { username: "victim", password: "victim-password-2" });
    expect(again.user.role).toBe("operator");
    expect((await admin.call("POST", "/api/users/victim", { disabled: true })).body.user.disabled).toBe(true);
    expect((await again.call("GET", "/api/images")).status).toBe(401);
    expect((await trySignIn(server().url, { username: "victim", password: "victim-password-2" })).status).toBe(401);
    expect((await admin.call("DELETE", "/api/users/victim")).status).toBe(200);
    expect((await admin.call("DELETE", "/api/users/victim")).status).toBe(404);
    const actions = (await server().context.db.auditEvent.findMany({ where: { target: "victim", outcome: "ok" } })).map(
      (event) => event.action,
    );
    expect(actions).toEqual(expect.arrayContaining(["user.create", "user.update", "user.delete"]));
  });

  it("the bootstrap admin cannot be changed, disabled or deleted through the API", async () => {
    expect((await admin.call("POST", "/api/users/admin", { disabled: true })).status).toBe(409);
    expect((await admin.call("POST", "/api/users/admin", { password: "another-password" })).status).toBe(409);
    expect((await admin.call("DELETE", "/api/users/admin")).status).toBe(409);
    expect((await admin.call("POST", "/api/users/%E0%A4%A", { role: "viewer" })).status).toBe(400);
  });
});
