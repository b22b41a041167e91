// Finding 4: the batched progress write. A NUL in one row must not fail every node's progress,
// and no value may be read as SQL, even on a Postgres with standard_conforming_strings = off
// (where a backslash escapes a quote inside '…').
import crypto from "node:crypto";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../server/db/open-database.ts";
import { ProgressBuffer } from "../server/rollouts/progress-buffer.ts";
import { POSTGRES_ADMIN_URL, postgresSkipReason, postgresTestUrl } from "./support/databases.ts";

type Opened = { database: Database; drop?: () => Promise<void> };

/** A database whose every session has standard_conforming_strings = off. */
const engines: { name: string; skip: string | null; open(): Promise<Opened> }[] = [
  {
    name: "pglite",
    skip: null,
    async open() {
      const database = await openDatabase({ dataDir: null });
      await database.prisma.$executeRawUnsafe("SET standard_conforming_strings = off"); // one session: it sticks
      return { database };
    },
  },
  {
    name: "postgres",
    skip: postgresSkipReason(),
    async open() {
      const { url, name, drop } = await postgresTestUrl();
      const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await admin.connect();
      await admin.query(`ALTER DATABASE "${name}" SET standard_conforming_strings = off`).finally(() => admin.end());
      return { database: await openDatabase({ databaseUrl: url, dataDir: null }), drop };
    },
  },
];

for (const engine of engines) {
  describe.skipIf(engine.skip)(`progress flush [${engine.name}, standard_conforming_strings off]`, () => {
    let opened: Opened;
    const db = () => opened.database.prisma;

    beforeAll(async () => {
      opened = await engine.open();
      const sessionSetting = await db().$queryRawUnsafe<{ standard_conforming_strings: string }[]>("SHOW standard_conforming_strings");
      expect(sessionSetting[0].standard_conforming_strings).toBe("off");
    });
    afterAll(async () => {
      await opened?.database.close();
      await opened?.drop?.();
    });

    async function downloadingRollout(hypervisors: string[]): Promise<string> {
      const imageId = `img-${crypto.randomUUID()}`;
      await db().image.create({ data: { id: imageId, name: imageId, status: "active", source: "test" } });
      const rollout = await db().rollout.create({
        data: {
          imageId,
          state: "running",
          targets: { createMany: { data: hypervisors.map((hypervisorName) => ({ hypervisorName, state: "downloading" })) } },
        },
      });
      return rollout.id;
    }
    const bytesOf = async (rolloutId: string, hypervisorName: string) =>
      (await db().rolloutTarget.findUniqueOrThrow({ where: { rolloutId_hypervisorName: { rolloutId, hypervisorName } } })).bytes;

    it("a value that closes the quote (\\') is data, not SQL: another node's target is untouched", async () => {
      const victim = await downloadingRollout(["hv-victim"]);
      const own = await downloadingRollout(["hv-attacker"]);
      const buffer = new ProgressBuffer({ db: db(), log: pino({ level: "silent" }) });
      // With hand quoting this became `'\'', …), ('<victim>', 'hv-victim', 999999, now()), --'`.
      const injected = `\\', $$x$$, 0::bigint, now()), ($$${victim}$$, $$hv-victim$$, 999999::bigint, now()), --`;
      buffer.add(injected, "hv-attacker", 5);
      buffer.add(own, "hv-attacker", 7);
      await buffer.flush();
      expect(await bytesOf(victim, "hv-victim")).toBe(0n);
      expect(await bytesOf(own, "hv-attacker")).toBe(7n);
      expect(buffer.writes).toBe(1);
    });

    it("a NUL in one row's rollout id does not lose the other rows' progress", async () => {
      const rolloutId = await downloadingRollout(["hv-1", "hv-2"]);
      const buffer = new ProgressBuffer({ db: db(), log: pino({ level: "silent" }) });
      buffer.add(`${rolloutId}\0`, "hv-1", 11);
      buffer.add(rolloutId, "hv-1", 12);
      buffer.add(rolloutId, "hv-2", 13);
      await buffer.flush();
      expect(await bytesOf(rolloutId, "hv-1")).toBe(12n);
      expect(await bytesOf(rolloutId, "hv-2")).toBe(13n);
    });
  });
}
