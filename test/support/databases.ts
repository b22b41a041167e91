// The two databases Precache runs on, for tests that must hold on both: embedded PGlite and a
// real Postgres (a fresh, throw-away database per suite, dropped afterwards).
// Postgres unreachable: skipped with the reason printed, or a failing test under CI=true.
import crypto from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, it } from "vitest";
import { openDatabase, type Database } from "../../server/db/open-database.ts";

/** The server where throw-away databases are created; any database on it works for CREATE DATABASE. */
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

const isCi = process.env.CI === "true" || process.env.CI === "1";

export type TestDatabaseKind = "pglite" | "postgres";
export type TestDatabase = { name: TestDatabaseKind; open(): Promise<Database> };

/** null when reachable, otherwise why not. Probed once per test file. */
export const postgresUnavailable: string | null = await probePostgres();

export const databases: TestDatabase[] = [
  { name: "pglite", open: () => openDatabase({ dataDir: null }) },
  {
    name: "postgres",
    async open() {
      const { url, drop } = await postgresTestUrl();
      try {
        const database = await openDatabase({ databaseUrl: url, dataDir: null });
        return {
          ...database,
          async close() {
            await database.close().finally(drop);
          },
        };
      } catch (error) {
        await drop();
        throw error;
      }
    },
  },
];

/** Creates `precache_test_<random>` on the test Postgres; `drop()` removes it, connections and all. */
export async function postgresTestUrl(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  if (postgresUnavailable) throw new Error(postgresUnavailable);
  const name = `precache_test_${crypto.randomBytes(6).toString("hex")}`;
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  let isDropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (isDropped) return;
      isDropped = true;
      await withAdmin(async (client) => {
        // pg's Pool.end() resolves before its sockets close; terminating backends that are
        // already closing makes the client emit an unhandled 'error'. Give them a moment first.
        const deadline = Date.now() + 2000;
        while (Date.now() < deadline) {
          const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [name]);
          if (rows[0].n === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      });
    },
  };
}

/** A database outage as operators see one: new connections refused, open ones terminated. */
export async function refuseConnections(name: string): Promise<void> {
  await withAdmin(async (client) => {
    await client.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
    await client.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [name]);
  });
}

export async function allowConnections(name: string): Promise<void> {
  await withAdmin((client) => client.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`));
}

/** Whether a database of that name exists on the test server (to prove drops happen). */
export async function postgresDatabaseExists(name: string): Promise<boolean> {
  const rows = await withAdmin((client) => client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]));
  return rows.rowCount === 1;
}

export type DatabaseUnderTest = { readonly kind: TestDatabaseKind; readonly database: Database };

/**
 * Declares `suite` once per database. The database is opened (and migrated) before the suite and
 * closed after it, so tests in one suite share it: give each test its own names.
 */
export function describeEachDatabase(title: string, suite: (under: DatabaseUnderTest) => void): void {
  for (const target of databases) {
    const label = `${title} [${target.name}]`;
    if (target.name === "postgres" && postgresUnavailable) {
      if (isCi) {
        describe(label, () => it("needs a reachable Postgres under CI", () => void assertPostgres()));
      } else {
        console.warn(`skipping "${label}": ${postgresUnavailable}`);
        describe.skip(label, () => suite({ kind: target.name, database: null as unknown as Database }));
      }
      continue;
    }
    describe(label, () => {
      let database: Database | null = null;
      const under: DatabaseUnderTest = {
        kind: target.name,
        get database() {
          if (!database) throw new Error(`${target.name} database is not open (beforeAll failed?)`);
          return database;
        },
      };
      beforeAll(async () => {
        database = await target.open();
      });
      afterAll(async () => {
        await database?.close();
        database = null;
      });
      suite(under);
    });
  }
}

/** For tests that need Postgres outside describeEachDatabase: skip reason, or throw under CI. */
export function postgresSkipReason(): string | null {
  if (!postgresUnavailable) return null;
  if (isCi) return null; // do not skip: the test runs and fails on assertPostgres()
  console.warn(`skipping Postgres test: ${postgresUnavailable}`);
  return postgresUnavailable;
}

export function assertPostgres(): void {
  if (postgresUnavailable) throw new Error(`CI=true requires Postgres: ${postgresUnavailable}`);
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function probePostgres(): Promise<string | null> {
  try {
    await withAdmin((client) => client.query("SELECT 1"));
    return null;
  } catch (error) {
    return `Postgres not reachable at ${POSTGRES_ADMIN_URL.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@")} (${(error as Error).message}); set TEST_POSTGRES_URL or start it`;
  }
}
