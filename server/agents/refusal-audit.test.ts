import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../db/open-database.ts";
import { RefusalAudit, refusalAuditPolicy } from "./refusal-audit.ts";

describe("refused agent connections in the audit trail", () => {
  let database: Database;
  beforeAll(async () => void (database = await openDatabase({ dataDir: null })));
  afterAll(async () => database?.close());

  it("one row per name, address and reason per window, counting the suppressed ones; a global cap per minute", async () => {
    let now = 1_000_000;
    const audit = new RefusalAudit({ db: database.prisma, log: pino({ level: "silent" }) }, () => now);
    for (let i = 0; i < 500; i++) await audit.record("hv-loop", "10.0.0.1", "REVOKED", "revoked");
    expect(await database.prisma.auditEvent.count({ where: { target: "hv-loop" } })).toBe(1);
    now += refusalAuditPolicy.windowMs;
    await audit.record("hv-loop", "10.0.0.1", "REVOKED", "revoked");
    const rows = await database.prisma.auditEvent.findMany({ where: { target: "hv-loop" }, orderBy: { id: "asc" } });
    expect(rows.map((row) => row.detail)).toMatchObject([{ suppressedSinceLast: 0 }, { suppressedSinceLast: 499 }]);
    expect(rows[0]).toMatchObject({ actor: "agent:hv-loop", address: "10.0.0.1", action: "agent.refused", outcome: "denied" });

    // Many names from a stolen token in a loop: at most maxRowsPerMinute rows a minute.
    now += 60_000;
    for (let i = 0; i < 1000; i++) await audit.record(`hv-spray-${i}`, "10.0.0.2", "BAD_TOKEN", "wrong token");
    expect(await database.prisma.auditEvent.count({ where: { address: "10.0.0.2" } })).toBe(refusalAuditPolicy.maxRowsPerMinute);
  });
});
