// Runs a suite against a real server on each database: PGlite, and a throw-away Postgres database
// (skipped with the reason on a laptop without Postgres, failing under CI=true).
import { afterAll, beforeAll, describe, it } from "vitest";
import { assertPostgres, postgresSkipReason, postgresTestUrl } from "./databases.ts";
import { startTestServer, type TestServer } from "./test-server.ts";

export function describeEachDatabaseServer(title: string, vars: Record<string, string>, suite: (server: () => TestServer) => void): void {
  for (const kind of ["pglite", "postgres"] as const) {
    const label = `${title} [${kind}]`;
    if (kind === "postgres" && postgresSkipReason()) {
      describe.skip(label, () => suite(() => null as unknown as TestServer));
      continue;
    }
    describe(label, () => {
      let server: TestServer | null = null;
      let drop: (() => Promise<void>) | null = null;
      beforeAll(async () => {
        let databaseVars: Record<string, string> = {};
        if (kind === "postgres") {
          assertPostgres();
          const database = await postgresTestUrl();
          drop = database.drop;
          databaseVars = { DATABASE_URL: database.url };
        }
        server = await startTestServer({ ...vars, ...databaseVars });
      });
      afterAll(async () => {
        await server?.close();
        await drop?.();
      });
      if (kind === "postgres") it("has its Postgres", () => assertPostgres());
      suite(() => {
        if (!server) throw new Error("server not started (beforeAll failed?)");
        return server;
      });
    });
  }
}
