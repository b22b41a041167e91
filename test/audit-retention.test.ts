// Audit retention on the real server: events past PRECACHE_AUDIT_RETENTION_DAYS are gone after a
// start, newer ones stay. (pruneAuditEvents itself is tested on both databases in server/audit/.)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/test-server.ts";

const DAY = 24 * 60 * 60 * 1000;

describe("audit retention", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-audit-retention-"));
  let server: TestServer | null = null;
  afterAll(async () => {
    await server?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("prunes events older than the retention at start", async () => {
    fs.mkdirSync(path.join(dataDir, "images"));
    fs.writeFileSync(path.join(dataDir, "images", "tiny.raw"), Buffer.alloc(4096, 1));
    const vars = { PRECACHE_DATA_DIR: dataDir, PRECACHE_AUDIT_RETENTION_DAYS: "30" };
    server = await startTestServer(vars);
    for (const [action, age] of [
      ["old.gone", 31 * DAY],
      ["recent.kept", 29 * DAY],
    ] as const) {
      await server.context.db.auditEvent.create({
        data: { actor: "retention-test", action, outcome: "ok", at: new Date(Date.now() - age) },
      });
    }
    await server.close();
    server = await startTestServer(vars);
    const { body } = await server.api("GET", "/api/audit?actor=retention-test");
    expect(body.events.map((event: { action: string }) => event.action)).toEqual(["recent.kept"]);
  });
});
