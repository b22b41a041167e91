// Sessions stored server-side, personal API tokens, sign-in throttling (finding 7), CSRF without
// a browser (finding 6; the Chromium reproduction is in csrf.browser.test.ts), Secure cookies.
import crypto from "node:crypto";
import { io as connect } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UI_NAMESPACE } from "../protocol/ui.ts";
import { describeEachDatabaseServer } from "./support/each-database-server.ts";
import { call, signInAs, tokenClient, trySignIn, type OperatorClient } from "./support/operator-client.ts";
import { API_TOKEN, startTestServer, type TestServer } from "./support/test-server.ts";

const ADMIN_PASSWORD = "bootstrap-admin-pw";

describeEachDatabaseServer("sessions and tokens", { PRECACHE_ADMIN_PASSWORD: ADMIN_PASSWORD }, (server) => {
  let admin: OperatorClient;

  beforeAll(async () => {
    admin = await signInAs(server().url, { password: ADMIN_PASSWORD });
    for (const [name, role] of [
      ["vera", "viewer"],
      ["otto", "operator"],
    ])
      await admin.call("POST", "/api/users", { name, role, password: `${name}-password` });
  });

  it("the cookie holds a random value; the row holds its sha256, the user, address and expiry", async () => {
    const otto = await signInAs(server().url, { username: "otto", password: "otto-password" });
    const value = otto.cookie.split("=")[1];
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = await server().context.db.session.findUnique({ where: { id: crypto.createHash("sha256").update(value).digest("hex") } });
    expect(row).toMatchObject({ userName: "otto", role: "operator", source: "local", address: "127.0.0.1", revokedAt: null });
    expect(row!.expiresAt.getTime() - row!.createdAt.getTime()).toBe(12 * 3600_000);
    expect(JSON.stringify(await server().context.db.session.findMany())).not.toContain(value);
  });

  it("sign-out ends the session at once: the old cookie is refused (finding 7)", async () => {
    const otto = await signInAs(server().url, { username: "otto", password: "otto-password" });
    expect((await otto.call("GET", "/api/images")).status).toBe(200);
    const out = await otto.call("DELETE", "/api/session");
    expect(out.status).toBe(200);
    expect(out.headers.get("set-cookie")).toMatch(/Max-Age=0/);
    expect((await otto.call("GET", "/api/images")).status).toBe(401);
    expect((await otto.call("GET", "/api/session")).body).toEqual({ authenticated: false });
    const audit = await server().context.db.auditEvent.findMany({
      where: { actor: "otto", action: { in: ["session.sign-in", "session.sign-out"] } },
    });
    expect(audit.map((event) => `${event.action}:${event.outcome}:${event.address}`)).toEqual(
      expect.arrayContaining(["session.sign-in:ok:127.0.0.1", "session.sign-out:ok:127.0.0.1"]),
    );
  });

  it("users list and revoke their own sessions; admins see and revoke everyone's, and the socket drops", async () => {
    const vera = await signInAs(server().url, { username: "vera", password: "vera-password" });
    const veraToo = await signInAs(server().url, { username: "vera", password: "vera-password" });
    const own = (await vera.call("GET", "/api/sessions")).body.sessions;
    expect(own.length).toBeGreaterThanOrEqual(2);
    expect(new Set(own.map((session: { userName: string }) => session.userName))).toEqual(new Set(["vera"]));
    expect(own.filter((session: { isCurrent: boolean }) => session.isCurrent)).toHaveLength(1);
    const everyone = (await admin.call("GET", "/api/sessions")).body.sessions;
    expect(new Set(everyone.map((session: { userName: string }) => session.userName))).toEqual(new Set(["admin", "vera", "otto"]));
    const adminSession = everyone.find((session: { userName: string }) => session.userName === "admin");
    expect((await vera.call("DELETE", `/api/sessions/${adminSession.id}`)).status).toBe(404);

    const socket = connect(server().url + UI_NAMESPACE, {
      transports: ["websocket"],
      extraHeaders: { cookie: veraToo.cookie, origin: server().url },
      reconnection: false,
    });
    await new Promise<void>((resolve, reject) => (socket.once("connect", resolve), socket.once("connect_error", reject)));
    const dropped = new Promise<string>((resolve) => socket.once("disconnect", resolve));
    const other = own.find((session: { isCurrent: boolean }) => !session.isCurrent);
    expect((await admin.call("DELETE", `/api/sessions/${other.id}`)).status).toBe(200);
    expect(await dropped).toBe("io server disconnect");
    expect((await veraToo.call("GET", "/api/images")).status).toBe(401);
    expect((await vera.call("GET", "/api/images")).status).toBe(200);
  });

  it("named tokens: role up to the creator's, shown once, stored hashed, revocable", async () => {
    const otto = await signInAs(server().url, { username: "otto", password: "otto-password" });
    expect((await otto.call("POST", "/api/tokens", { name: "ci", role: "admin" })).status).toBe(403);
    const created = await otto.call("POST", "/api/tokens", { name: "ci", role: "viewer" });
    expect(created.status).toBe(201);
    const { secret, token } = created.body;
    expect(secret).toMatch(/^pct_[A-Za-z0-9_-]{43}$/);
    expect(token).toMatchObject({ name: "ci", role: "viewer", owner: "otto" });
    const listed = await otto.call("GET", "/api/tokens");
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    const row = await server().context.db.apiToken.findUnique({ where: { id: token.id } });
    expect(row!.tokenHash).toBe(crypto.createHash("sha256").update(secret).digest("hex"));

    const asToken = tokenClient(server().url, secret);
    expect((await asToken.call("GET", "/api/images")).status).toBe(200);
    expect((await asToken.call("POST", "/api/images/sync", {})).status).toBe(403);
    expect((await asToken.call("GET", "/api/session")).body).toEqual({
      authenticated: true,
      user: { name: "otto", role: "viewer", via: "token" },
    });
    const operatorToken = (await otto.call("POST", "/api/tokens", { name: "deploy" })).body;
    expect(operatorToken.token.role).toBe("operator");
    expect((await tokenClient(server().url, operatorToken.secret).call("POST", "/api/images/sync")).status).toBe(200);

    const vera = await signInAs(server().url, { username: "vera", password: "vera-password" });
    expect((await vera.call("DELETE", `/api/tokens/${token.id}`)).status).toBe(404);
    expect((await otto.call("DELETE", `/api/tokens/${token.id}`)).status).toBe(200);
    expect((await asToken.call("GET", "/api/images")).status).toBe(401);
    expect((await tokenClient(server().url, `pct_${"A".repeat(43)}`).call("GET", "/api/images")).status).toBe(401);
    const audit = (await server().context.db.auditEvent.findMany({ where: { actor: "otto", action: { startsWith: "token." } } })).map(
      (event) => `${event.action}:${event.outcome}`,
    );
    // A token above the creator's role is refused (403): audited as denied, like any missing permission.
    expect(audit).toEqual(expect.arrayContaining(["token.create:ok", "token.create:denied", "token.revoke:ok"]));

    // Lowering the owner's role revokes the tokens above it.
    expect((await admin.call("POST", "/api/users/otto", { role: "viewer" })).status).toBe(200);
    expect((await tokenClient(server().url, operatorToken.secret).call("GET", "/api/images")).status).toBe(401);
  });

  it("the bootstrap API token stays an admin Bearer token", async () => {
    const answer = await tokenClient(server().url, API_TOKEN).call("GET", "/api/users");
    expect(answer.status).toBe(200);
  });

  it("refuses cookie-authenticated changes that are cross-origin or not JSON, and changes nothing (finding 6)", async () => {
    const before = (await admin.call("GET", "/api/topology")).body;
    const forged = JSON.stringify({ tier1: [{ url: "http://evil:3128", bandwidthMbps: null }] });
    const attempts: Record<string, string>[] = [
      { origin: server().url, "content-type": "text/plain;charset=UTF-8" },
      { origin: "http://127.0.0.1:1", "content-type": "application/json" },
      { origin: "null", "content-type": "application/json" },
      { "content-type": "application/json" },
    ];
    for (const headers of attempts) {
      const answer = await call(server().url, "POST", "/api/topology", { body: forged, headers: { cookie: admin.cookie, ...headers } });
      expect(answer.status, JSON.stringify(headers)).toBe(headers["content-type"].startsWith("text/plain") ? 415 : 403);
    }
    expect((await admin.call("GET", "/api/topology")).body).toEqual(before);
    // Bearer calls carry no ambient credential: no Origin or content-type needed.
    expect((await call(server().url, "POST", "/api/images/sync", { headers: { authorization: `Bearer ${API_TOKEN}` } })).status).toBe(200);
    // A browser on another origin cannot sign anyone in either (login CSRF).
    expect((await trySignIn(server().url, { password: ADMIN_PASSWORD }, { origin: "http://127.0.0.1:1" })).status).toBe(403);
  });
});

describe("sign-in throttling (finding 7)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PRECACHE_ADMIN_PASSWORD: ADMIN_PASSWORD, PRECACHE_SIGN_IN_WINDOW_SECONDS: "20" });
  });
  afterAll(() => server?.close());

  it("300 wrong passwords, then the right one is refused with 429 until the window passes", async () => {
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const { status } = await trySignIn(server.url, { password: `guess-${i}` });
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    // 5 guesses checked, then locked (300 tries take ~3 s idle, ~11 s on a loaded CI machine: the
    // 20 s window outlasts them, so none of the other 295 was checked).
    expect(statuses.get(401)).toBe(5);
    expect(statuses.get(401)! + statuses.get(429)!).toBe(300);
    const refused = await trySignIn(server.url, { password: ADMIN_PASSWORD });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.body.error.code).toBe("TOO_MANY_REQUESTS");
    await new Promise((resolve) => setTimeout(resolve, Number(refused.headers.get("retry-after")) * 1000 + 200));
    expect((await trySignIn(server.url, { password: ADMIN_PASSWORD })).status).toBe(200);
    const denied = await server.context.db.auditEvent.findMany({ where: { action: "session.sign-in", outcome: "denied" } });
    expect(denied).toHaveLength(301); // every refusal, the throttled ones too
    expect(denied.every((event) => event.address === "127.0.0.1" && event.actor === "admin")).toBe(true);
  });
});

describe("sign-in throttling per address", () => {
  it("20 failures from one address lock that address for every account", async () => {
    const server = await startTestServer({ PRECACHE_ADMIN_PASSWORD: ADMIN_PASSWORD });
    try {
      for (let i = 0; i < 20; i++) expect((await trySignIn(server.url, { username: `user${i}`, password: "x" })).status).toBe(401);
      expect((await trySignIn(server.url, { password: ADMIN_PASSWORD })).status).toBe(429);
    } finally {
      await server.close();
    }
  });
});

describe("Secure cookies follow how the dashboard is served, not PRECACHE_PUBLIC_URL (finding 7)", () => {
  const cookieOf = async (vars: Record<string, string>, headers: (url: string) => Record<string, string> = () => ({})) => {
    const server = await startTestServer({ PRECACHE_ADMIN_PASSWORD: ADMIN_PASSWORD, ...vars });
    try {
      const answer = await trySignIn(server.url, { password: ADMIN_PASSWORD }, headers(server.url));
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return answer.headers.get("set-cookie")!;
    } finally {
      await server.close();
    }
  };

  it("plain http: HttpOnly, SameSite=Lax, not Secure, even with an https artifact URL", async () => {
    const cookie = await cookieOf({ PRECACHE_PUBLIC_URL: "https://squid-facing.example.org" });
    expect(cookie).toMatch(/; HttpOnly; SameSite=Lax;/);
    expect(cookie).not.toMatch(/Secure/);
  });

  it("Secure for an https dashboard URL, or X-Forwarded-Proto: https from a trusted proxy only", async () => {
    expect(await cookieOf({ PRECACHE_DASHBOARD_URL: "https://precache.example.org" })).toMatch(/; Secure$/);
    expect(await cookieOf({}, () => ({ "x-forwarded-proto": "https" }))).not.toMatch(/Secure/);
    // Behind a TLS-terminating proxy the browser's origin is https://<host>.
    const throughProxy = (url: string) => ({ "x-forwarded-proto": "https", origin: url.replace("http:", "https:") });
    expect(await cookieOf({ PRECACHE_TRUST_PROXY: "1" }, throughProxy)).toMatch(/; Secure$/);
  });
});
