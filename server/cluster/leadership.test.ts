// Leadership among servers on one Postgres: one leader at a time; when its session dies, another
// takes over within a couple of intervals, and the old one knows it is no longer the leader.
import pg from "pg";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { postgresSkipReason, postgresTestUrl } from "../../test/support/databases.ts";
import { Leadership } from "./leadership.ts";

const skipReason = postgresSkipReason();
const log = pino({ level: "silent" });

describe("leadership", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function member(databaseUrl: string | null, events: string[], name: string): Leadership {
    const leadership = new Leadership({
      databaseUrl,
      intervalMs: 100,
      log,
      onGain: () => void events.push(`${name}+`),
      onLose: () => void events.push(`${name}-`),
    });
    cleanups.push(() => leadership.stop());
    return leadership;
  }

  it("with PGlite the only server leads", async () => {
    const events: string[] = [];
    const only = member(null, events, "a");
    await only.start();
    expect(only.isLeader).toBe(true);
    expect(events).toEqual(["a+"]);
  });

  it.skipIf(Boolean(skipReason))(
    "has one leader, and hands over when the leader's session dies",
    async () => {
      const database = await postgresTestUrl();
      cleanups.push(database.drop);
      const events: string[] = [];
      const a = member(database.url, events, "a");
      const b = member(database.url, events, "b");
      await a.start();
      await b.start();
      await b.tryNow();
      expect([a.isLeader, b.isLeader]).toEqual([true, false]);

      // The leader's connection is cut by the database (as when its host dies or the link drops).
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      cleanups.push(() => admin.end());
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted",
        [0x70726c64],
      );
      await expect.poll(() => b.isLeader, { timeout: 5000 }).toBe(true);
      await expect.poll(() => a.isLeader, { timeout: 5000 }).toBe(false);
      expect(events.slice(0, 1)).toEqual(["a+"]);
      expect(events).toContain("a-");
      expect(events).toContain("b+");

      // A clean stop hands over too.
      await b.stop();
      await expect.poll(() => a.isLeader, { timeout: 5000 }).toBe(true);
    },
    30_000,
  );
});
