// Applies the committed Prisma migrations at start, recording them in Prisma's own
// `_prisma_migrations` table so `prisma migrate status` agrees with what ran.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { SqlDriver } from "./sql-driver.ts";

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, "../../prisma/migrations");

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/** Advisory lock key for migrations ("precache" in ASCII, as a 32-bit number). */
export const MIGRATION_LOCK = 0x70726563;

/**
 * Applies what is missing. Servers starting together on one Postgres take turns (advisory
 * lock): the first applies, the others find nothing left to do.
 */
export function migrate(driver: SqlDriver, dir = MIGRATIONS_DIR): Promise<string[]> {
  return driver.withLock(MIGRATION_LOCK, () => applyMissing(driver, dir));
}

async function applyMissing(driver: SqlDriver, dir: string): Promise<string[]> {
  await driver.exec(CREATE_TABLE);
  const done = new Set(
    (
      await driver.query<{ migration_name: string }>(
        `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
      )
    ).map((row) => row.migration_name),
  );
  const names = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const applied: string[] = [];
  for (const name of names) {
    if (done.has(name)) continue;
    const sql = fs.readFileSync(path.join(dir, name, "migration.sql"), "utf8");
    const checksum = crypto.createHash("sha256").update(sql).digest("hex");
    await driver.exec(`BEGIN;\n${sql}\n;COMMIT;`).catch(async (error: Error) => {
      await driver.exec("ROLLBACK").catch(() => undefined);
      throw new Error(`migration ${name} failed: ${error.message}`);
    });
    await driver.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, $2, now(), $3, 1)`,
      [crypto.randomUUID(), checksum, name],
    );
    applied.push(name);
  }
  return applied;
}
