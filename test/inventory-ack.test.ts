// Inventories are acknowledged once written (issue 9, "results that are never lost"): one sent
// while the database refuses connections is answered RETRY, and the agent sends a fresh one until
// it is recorded, instead of leaving the dashboard wrong until the next periodic rescan (5 min).
import fs from "node:fs";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { baseFileName } from "../protocol/nova-files.ts";
import { allowConnections, postgresSkipReason, postgresTestUrl, refuseConnections } from "./support/databases.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { startTestServer, waitFor } from "./support/test-server.ts";

let cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

it.skipIf(postgresSkipReason())(
  "an inventory sent while Postgres refuses connections is sent again until it is recorded",
  async () => {
    const database = await postgresTestUrl();
    cleanups.push(() => database.drop());
    // No reconcile or rescan help: only the inventory retry can bring the news.
    const server = await startTestServer({ DATABASE_URL: database.url, PRECACHE_RECONCILE_SECONDS: "600" });
    cleanups.push(() => server.close());
    const agent = await startTestAgent(server.url, "hv-inventory", { inventoryRetryMs: 300 });
    cleanups.push(() => agent.stop());
    const image = await waitFor("the sample image", async () => (await server.api("GET", "/api/images")).body.images[0]);
    const cells = async () => (await server.api("GET", "/api/hypervisors/hv-inventory")).body.hypervisor?.images ?? [];
    expect(await cells()).toEqual([]);

    const restore = () => allowConnections(database.name);
    cleanups.push(restore);
    await refuseConnections(database.name);
    // An operator (or nova) put the image there; the agent reports it while the database is down.
    const sample = fs.readdirSync(path.join(server.dataDir, "images"))[0];
    fs.copyFileSync(path.join(server.dataDir, "images", sample), path.join(agent.config.cacheDir, baseFileName(image.id)));
    await agent.reportInventory();
    await new Promise((resolve) => setTimeout(resolve, 2000)); // refused (RETRY) and retried, more than once
    await restore();

    const seen = await waitFor(
      "the image on the node after the database came back",
      async () => {
        const found = (await cells().catch(() => [])).find((cell: { imageId: string }) => cell.imageId === image.id);
        return found?.state === "cached" ? found : undefined;
      },
      20_000,
    );
    expect(seen).toMatchObject({ imageId: image.id, state: "cached" });
  },
  60_000,
);
