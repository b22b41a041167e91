// Several servers starting at the same moment on one empty Postgres: the migrations run once.
import { afterEach, describe, expect, it } from "vitest";
import { postgresSkipReason, postgresTestUrl } from "../../test/support/databases.ts";
import { MIGRATIONS_DIR, migrate } from "./migrate.ts";
import { openPostgres, type SqlDriver } from "./sql-driver.ts";
import fs from "node:fs";

const skipReason = postgresSkipReason();
if (skipReason) console.warn(`skipping concurrent migrations: ${skipReason}`);

describe.skipIf(Boolean(skipReason))("migrations started by several servers at once", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("are applied once, and every server starts on the migrated schema", async () => {
    const database = await postgresTestUrl();
    cleanups.push(database.drop);
    const drivers: SqlDriver[] = [];
    for (let index = 0; index < 4; index++) drivers.push(await openPostgres(database.url));
    cleanups.push(async () => void (await Promise.all(drivers.map((driver) => driver.close()))));
    const applied = await Promise.all(drivers.map((driver) => migrate(driver)));
    const expected = fs.readdirSync(MIGRATIONS_DIR, { withFileTypes: true }).filter((entry) => entry.isDirectory()).length;
    expect(applied.map((names) => names.length).sort((a, b) => b - a)).toEqual([expected, 0, 0, 0]);
    const rows = await drivers[0].query<{ n: string }>(`SELECT count(*) AS n FROM "_prisma_migrations"`);
    expect(Number(rows[0].n)).toBe(expected);
  }, 60_000);
});
