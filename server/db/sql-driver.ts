// The raw SQL connection under Prisma: embedded PGlite or a Postgres pool.
// Migrations run on it directly (multi-statement SQL), then Prisma gets an adapter over it.
import fs from "node:fs";
import { claimPgliteDir } from "./pglite-owner.ts";
import type { SqlDriverAdapterFactory } from "@prisma/driver-adapter-utils";

export type SqlDriver = {
  kind: "pglite" | "postgres";
  /** Runs one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * Runs `work` while holding a Postgres advisory lock (`key`), so that several servers starting
   * on one database do it one at a time. PGlite has one process only: it just runs.
   */
  withLock<T>(key: number, work: () => Promise<T>): Promise<T>;
  adapter(): SqlDriverAdapterFactory;
  close(): Promise<void>;
};

export async function openPglite(dir: string | null): Promise<SqlDriver> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PrismaPGlite } = await import("pglite-prisma-adapter");
  if (dir) fs.mkdirSync(dir, { recursive: true, mode: 0o700 }); // its files are 0666: the dir keeps others out
  const release = dir ? claimPgliteDir(dir) : () => undefined;
  const db = dir ? new PGlite(dir) : new PGlite();
  await db.waitReady.catch((error: Error) => {
    release();
    throw error;
  });
  return {
    kind: "pglite",
    exec: async (sql) => void (await db.exec(sql)),
    query: async <T>(sql: string, params?: unknown[]) => (await db.query<T>(sql, params)).rows,
    withLock: (_key, work) => work(),
    adapter: () => new PrismaPGlite(db) as unknown as SqlDriverAdapterFactory,
    close: () => db.close().finally(release),
  };
}

export async function openPostgres(connectionString: string): Promise<SqlDriver> {
  const { default: pg } = await import("pg");
  const { PrismaPg } = await import("@prisma/adapter-pg");
  const pool = new pg.Pool({ connectionString, max: 10 });
  // A connection dropped by the server (restart, shutdown) must not crash the process.
  pool.on("error", () => undefined);
  const probe = await pool.connect().catch((error: Error) => {
    throw new Error(`cannot connect to DATABASE_URL (${redact(connectionString)}): ${error.message}`);
  });
  probe.release();
  return {
    kind: "postgres",
    exec: async (sql) => void (await pool.query(sql)),
    query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows as T[],
    async withLock(key, work) {
      // A session lock on a connection of its own: released with it, even if this process dies.
      const client = await pool.connect();
      try {
        await client.query("SELECT pg_advisory_lock($1)", [key]);
        try {
          return await work();
        } finally {
          await client.query("SELECT pg_advisory_unlock($1)", [key]).catch(() => undefined);
        }
      } finally {
        client.release();
      }
    },
    adapter: () => new PrismaPg(pool),
    close: () => pool.end(),
  };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}
