// Server SIGKILL mid-rollout, on PGlite and on Postgres: the server process dies while agents
// download through Squid, starts again on the same port and data, agents reconnect and the
// rollout completes with every node verified and no result lost.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresSkipReason, postgresTestUrl } from "./support/databases.ts";
import { startFaultRig, type FaultRig } from "./support/fault-rig.ts";
import { shouldSkipSquidTests } from "./support/squid.ts";

const skipSquid = shouldSkipSquidTests("server SIGKILL fault");

for (const database of ["pglite", "postgres"] as const) {
  const skip = skipSquid || (database === "postgres" && postgresSkipReason() !== null);
  describe.skipIf(skip)(`fault: server SIGKILL mid-rollout [${database}]`, () => {
    let rig: FaultRig;
    let drop: (() => Promise<void>) | null = null;
    beforeAll(async () => {
      const vars: Record<string, string> = {};
      if (database === "postgres") {
        const created = await postgresTestUrl();
        vars.DATABASE_URL = created.url;
        drop = created.drop;
      }
      rig = await startFaultRig({ agents: 3, imageMiB: 4, vars });
    }, 90_000);
    afterAll(async () => {
      await rig?.close();
      await drop?.();
    });

    it("restarts on the same port and data; agents reconnect; the rollout completes", async () => {
      const id = await rig.startRollout({ bandwidthMbps: 3 });
      // The first wave is one node per proxy (Squid warm-up): kill while it is a quarter through.
      await expect
        .poll(() => Math.max(...rig.agents.map((agent) => rig.partBytes(agent))), { message: "a node a quarter of the way" })
        .toBeGreaterThan(rig.artifact.compressedSize / 4);
      await rig.server.kill();
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await rig.server.restart();
      await rig.waitOnline(
        rig.agents.map((agent) => agent.name),
        45_000,
      );
      const rollout = await rig.waitRollout(id, 60_000);

      expect(rollout).toMatchObject({ state: "done", counts: { done: 3, failed: 0 } });
      expect(Object.values(rig.outcomes())).toEqual(["verified", "verified", "verified"]);
      // Each node reports the image verified on disk: its result reached the database.
      const { body } = await rig.server.api("GET", "/api/hypervisors");
      for (const agent of rig.agents) {
        const cell = body.hypervisors
          .find((entry: { name: string }) => entry.name === agent.name)
          .images.find((entry: { imageId: string }) => entry.imageId === rig.image.id);
        expect(cell, agent.name).toMatchObject({ state: "cached", verified: true });
      }
      // Whether Squid's fill broke with the origin or had finished, agents resume with Range where
      // they were: beyond one artifact each they receive response headers only.
      const { refetched, requests } = await rig.deliveredBytes(3);
      console.log(
        `server SIGKILL [${database}]: ${requests} requests, ${refetched} B re-fetched, attempts ${rollout.hypervisors.map((entry) => entry.attempts).join(",")}`,
      );
      expect(refetched).toBeLessThanOrEqual(requests * 1024);
    }, 120_000);
  });
}
