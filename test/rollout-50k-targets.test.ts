// A rollout to 50,000 hypervisors, by name and to all: answered 201 with every target, not a 500
// (Postgres takes at most 32,767 parameters per statement; found by the heatmap bench at 50,000).
// Cancelling it clears every pending cell. On PGlite and Postgres.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chunksOf } from "../server/db/in-chunks.ts";
import { postgresSkipReason, postgresTestUrl } from "./support/databases.ts";
import { publishAndWait, startTestServer, type TestServer } from "./support/test-server.ts";

const FLEET = 50_000;

for (const database of ["pglite", "postgres"] as const) {
  describe.skipIf(database === "postgres" && postgresSkipReason() !== null)(`a rollout to ${FLEET} hypervisors [${database}]`, () => {
    let server: TestServer;
    let drop: () => Promise<void> = async () => undefined;
    let imageId = "";
    const names = Array.from({ length: FLEET }, (_, index) => `hv-${String(index).padStart(5, "0")}`);

    beforeAll(async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-50k-"));
      fs.mkdirSync(path.join(dataDir, "images"));
      fs.writeFileSync(path.join(dataDir, "images", "small.raw"), crypto.randomBytes(4096));
      const vars: Record<string, string> = { PRECACHE_DATA_DIR: dataDir };
      if (database === "postgres") {
        const created = await postgresTestUrl();
        vars.DATABASE_URL = created.url;
        drop = created.drop;
      }
      server = await startTestServer(vars);
      for (const chunk of chunksOf(names))
        await server.context.db.hypervisor.createMany({ data: chunk.map((name) => ({ name, group: `rack-${name.slice(-2)}` })) });
      imageId = (await server.api("GET", "/api/images")).body.images[0].id;
      await publishAndWait(server, imageId);
    }, 120_000);

    afterAll(async () => {
      await server?.close();
      await drop();
    });

    it("creates every target by name, then to all, and cancels them all", async () => {
      const byName = await server.api("POST", "/api/rollouts", { imageId, hypervisors: names });
      expect(byName.status, JSON.stringify(byName.body).slice(0, 500)).toBe(201);
      expect(byName.body.rollout.targets).toBe(FLEET);
      expect(await server.context.db.rolloutTarget.count({ where: { rolloutId: byName.body.rollout.id } })).toBe(FLEET);
      expect((await server.api("POST", `/api/rollouts/${byName.body.rollout.id}/cancel`, {})).status).toBe(200);
      expect(await server.context.db.hypervisorImage.count({ where: { imageId, state: { in: ["pending", "downloading"] } } })).toBe(0);

      const toAll = await server.api("POST", "/api/rollouts", { imageId });
      expect(toAll.status, JSON.stringify(toAll.body).slice(0, 500)).toBe(201);
      expect(toAll.body.rollout.targets).toBe(FLEET);
      expect(await server.context.db.hypervisorImage.count({ where: { imageId, state: "pending" } })).toBe(FLEET);
    }, 180_000);
  });
}
