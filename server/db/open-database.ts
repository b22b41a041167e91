// One Prisma client over PGlite (default) or Postgres (DATABASE_URL), migrated before use.
import path from "node:path";
import { PrismaClient } from "./generated/client.ts";
import { migrate } from "./migrate.ts";
import { openPglite, openPostgres, type SqlDriver } from "./sql-driver.ts";

export type Database = { prisma: PrismaClient; driver: SqlDriver; close(): Promise<void> };
export type Db = PrismaClient;

export async function openDatabase(options: { databaseUrl?: string; dataDir: string | null }): Promise<Database> {
  const driver = options.databaseUrl
    ? await openPostgres(options.databaseUrl)
    : await openPglite(options.dataDir ? path.join(options.dataDir, "pglite") : null);
  await migrate(driver);
  // With a driver adapter even a batch $transaction([...]) runs under Prisma's interactive limits
  // (2 s to get a connection, 5 s to finish): a rollout to 50,000 nodes writes its targets in one
  // transaction and, on a busy database, took longer (500 INTERNAL in the full suite).
  const prisma = new PrismaClient({ adapter: driver.adapter(), transactionOptions: { maxWait: 15_000, timeout: 120_000 } });
  return {
    prisma,
    driver,
    async close() {
      await prisma.$disconnect();
      await driver.close();
    },
  };
}
