// Postgres refusing connections while the server runs (ALLOW_CONNECTIONS false and its backends
// terminated, as a failover or restart looks from here): the API answers 503 DATABASE_UNAVAILABLE,
// never 500 and never a hang, /api/health says 503, and everything answers again once it is back.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POSTGRES_ADMIN_URL, postgresSkipReason, postgresTestUrl } from "./support/databases.ts";
import { startTestServer, waitFor, type TestServer } from "./support/test-server.ts";

describe.skipIf(postgresSkipReason())("a Postgres outage while the server runs", () => {
  let database: Awaited<ReturnType<typeof postgresTestUrl>>;
  let server: TestServer;
  let admin: pg.Client;

  beforeAll(async () => {
    database = await postgresTestUrl();
    server = await startTestServer({ DATABASE_URL: database.url });
    admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.query(`ALTER DATABASE "${database.name}" ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin?.end();
    await server?.close();
    await database?.drop();
  });

  const health = async () => {
    const response = await fetch(`${server.url}/api/health`, { signal: AbortSignal.timeout(5000) });
    return { status: response.status, body: await response.json() };
  };
  const call = async (method: string, route: string) => {
    const started = Date.now();
    const response = await fetch(server.url + route, {
      method,
      headers: { authorization: "Bearer test-api-token", "content-type": "application/json" },
      body: method === "GET" ? undefined : "{}",
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, body: await response.json(), ms: Date.now() - started };
  };

  it("answers 503 DATABASE_UNAVAILABLE during the outage and 200 again after it, without a restart", async () => {
    expect((await call("GET", "/api/images")).status).toBe(200);
    expect((await health()).status).toBe(200);

    await admin.query(`ALTER DATABASE "${database.name}" ALLOW_CONNECTIONS false`);
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [database.name]);
    try {
      for (const [method, route] of [
        ["GET", "/api/images"],
        ["GET", "/api/hypervisors"],
        ["GET", "/api/rollouts"],
        ["POST", "/api/images/sync"],
      ]) {
        const answer = await call(method, route);
        expect(answer.status, `${method} ${route}: ${JSON.stringify(answer.body)}`).toBe(503);
        expect(answer.body.error).toMatchObject({
          code: "DATABASE_UNAVAILABLE",
          message: expect.stringMatching(/^the database is unreachable: /),
        });
        expect(answer.ms).toBeLessThan(5000);
      }
      const down = await waitFor(
        "/api/health to report the outage",
        async () => {
          const answer = await health();
          return answer.status === 503 ? answer : undefined;
        },
        10_000,
      );
      expect(down.body).toMatchObject({
        ok: false,
        ready: true,
        dependencies: { database: { state: "degraded", lastError: expect.stringContaining("database") } },
      });
      expect(JSON.stringify(down.body)).not.toContain(database.url);
    } finally {
      await admin.query(`ALTER DATABASE "${database.name}" ALLOW_CONNECTIONS true`);
    }

    await expect.poll(async () => (await health()).status, { message: "/api/health to recover", timeout: 10_000 }).toBe(200);
    expect((await call("GET", "/api/images")).status).toBe(200);
    expect((await call("POST", "/api/images/sync")).status).toBe(200);
    expect((await health()).body).toMatchObject({ ok: true, ready: true });
    expect((await health()).body.dependencies.database).toMatchObject({ state: "ok", lastError: expect.any(String) });
  });
});
