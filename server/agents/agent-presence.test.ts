import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../db/open-database.ts";
import { refreshAgentPresence } from "./agent-presence.ts";

describe("agent presence sweep", () => {
  let database: Database;
  beforeAll(async () => void (database = await openDatabase({ dataDir: null })));
  afterAll(async () => database?.close());

  it("refreshes lastSeenAt of valid connections and names those revoked, reset or re-enrolled elsewhere", async () => {
    const db = database.prisma;
    const old = new Date(0);
    await db.agentCredential.createMany({
      data: [
        { hypervisorName: "hv-ok", secretHash: "a", lastSeenAt: old },
        { hypervisorName: "hv-revoked", secretHash: "b", revokedAt: new Date(), lastSeenAt: old },
        { hypervisorName: "hv-replaced", secretHash: "new", lastSeenAt: old },
      ],
    });
    const drop = await refreshAgentPresence({ db }, [
      { name: "hv-ok", secretHash: "a" },
      { name: "hv-revoked", secretHash: "b" },
      { name: "hv-replaced", secretHash: "old" },
      { name: "hv-reset", secretHash: "c" },
    ]);
    expect(drop.sort()).toEqual(["hv-replaced", "hv-reset", "hv-revoked"]);
    const rows = await db.agentCredential.findMany({ orderBy: { hypervisorName: "asc" } });
    expect(rows.map((row) => [row.hypervisorName, row.lastSeenAt!.getTime() > 0])).toEqual([
      ["hv-ok", true],
      ["hv-replaced", false],
      ["hv-revoked", false],
    ]);
  });
});
