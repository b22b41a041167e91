// Two servers on one Postgres: exactly one says it leads (GET /api/health), and when it stops the
// other takes over within seconds. PGlite's single server always leads.
import { afterAll, describe, expect, it } from "vitest";
import { postgresSkipReason, postgresTestUrl } from "./support/databases.ts";
import { startTestServer, type TestServer } from "./support/test-server.ts";

const skipReason = postgresSkipReason();
const leads = async (server: TestServer) => ((await (await fetch(`${server.url}/api/health`)).json()) as { leader: boolean }).leader;

describe("leadership in /api/health", () => {
  const servers: TestServer[] = [];
  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const server of servers) await server.close().catch(() => undefined);
    for (const drop of drops) await drop();
  });

  it("a PGlite server leads", async () => {
    const server = await startTestServer();
    servers.push(server);
    expect(await leads(server)).toBe(true);
  });

  it.skipIf(Boolean(skipReason))(
    "one of two servers on one Postgres leads; the other takes over when it stops",
    async () => {
      const database = await postgresTestUrl();
      drops.push(database.drop);
      const [a, b] = await Promise.all([startTestServer({ DATABASE_URL: database.url }), startTestServer({ DATABASE_URL: database.url })]);
      servers.push(a, b);
      const flags = [await leads(a), await leads(b)];
      expect(flags.filter(Boolean)).toHaveLength(1);
      const [leader, follower] = flags[0] ? [a, b] : [b, a];
      const stoppedAt = Date.now();
      await leader.close();
      await expect.poll(() => leads(follower), { timeout: 10_000, interval: 100 }).toBe(true);
      console.log(`leadership moved ${Date.now() - stoppedAt} ms after the leader stopped`);
    },
    60_000,
  );
});
