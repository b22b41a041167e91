// Shapes as Prisma 6.19 with @prisma/adapter-pg and pg throw them (seen against a real Postgres:
// test/database-outage.test.ts); a query error that is not an outage stays what it was.
import { describe, expect, it } from "vitest";
import { AppError } from "../errors.ts";
import { toDatabaseUnavailable } from "./database-errors.ts";

const withCause = (message: string, cause: object) => Object.assign(new Error(message), { cause });

describe("database outage classification", () => {
  it.each([
    [
      "driver adapter, admin shutdown",
      withCause("terminating connection due to administrator command", {
        kind: "postgres",
        code: "57P01",
        message: "terminating connection due to administrator command",
      }),
    ],
    [
      "driver adapter, too many connections",
      withCause("sorry, too many clients already", { kind: "postgres", code: "53300", message: "sorry, too many clients already" }),
    ],
    [
      "raw query, database closed to connections",
      Object.assign(new Error("Invalid `prisma.$queryRaw()` invocation:\n\nRaw query failed."), {
        code: "P2010",
        meta: { code: "55000", message: 'database "x" is not currently accepting connections' },
      }),
    ],
    ["Prisma cannot reach the server", Object.assign(new Error("Can't reach database server at 127.0.0.1:5432"), { code: "P1001" })],
    ["Prisma pool timeout", Object.assign(new Error("Timed out fetching a new connection from the connection pool"), { code: "P2024" })],
    [
      "socket refused",
      withCause("connect failed", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })),
    ],
    ["pg connection terminated", new Error("Connection terminated unexpectedly")],
    ["PGlite closed", new Error("PGlite is closed")],
  ])("%s → 503 DATABASE_UNAVAILABLE with the driver's words", (_name, error) => {
    const outage = toDatabaseUnavailable(error);
    expect(outage).toMatchObject({ code: "DATABASE_UNAVAILABLE", status: 503 });
    expect(outage!.message).toMatch(/^the database is unreachable: \S/);
    expect(outage!.message).not.toContain("\n");
  });

  it("leaves query errors, other AppErrors and plain bugs alone", () => {
    expect(toDatabaseUnavailable(Object.assign(new Error("Unique constraint failed"), { code: "P2002" }))).toBeNull();
    expect(
      toDatabaseUnavailable(withCause("duplicate key", { kind: "postgres", code: "23505", message: "duplicate key value" })),
    ).toBeNull();
    expect(toDatabaseUnavailable(new AppError("GLANCE_UNREACHABLE", "cannot reach Glance: ECONNREFUSED"))).toBeNull();
    expect(toDatabaseUnavailable(new TypeError("x is undefined"))).toBeNull();
  });
});
