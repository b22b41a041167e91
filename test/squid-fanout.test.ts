// The CERN shape with real parts: origin → Squid tier 1 → Squid tier 2 → three agents.
// The origin must send the artifact once, however many hypervisors ask.
import fs from "node:fs";
import type { IncomingMessage } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import { baseFilePath, partFilePath } from "../agent/download/cache-paths.ts";
import { artifactEntries, shouldSkipSquidTests, startSquid, type RunningSquid } from "./support/squid.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { publishAndWait, rolloutAndWait, startTestServer, type TestServer } from "./support/test-server.ts";

describe.skipIf(shouldSkipSquidTests("squid fan-out"))("two-tier Squid fan-out", () => {
  let server: TestServer;
  let tier1: RunningSquid;
  let tier2: RunningSquid;
  const agents: PrecacheAgent[] = [];
  const originGets: string[] = [];
  const countOriginGet = (req: IncomingMessage) => {
    if (req.method === "GET" && req.url?.startsWith("/artifacts/")) originGets.push(req.url);
  };

  beforeAll(async () => {
    server = await startTestServer();
    server.server.on("request", countOriginGet);
    tier1 = await startSquid({ name: "tier1" });
    tier2 = await startSquid({ name: "tier2", parent: { host: "127.0.0.1", port: tier1.port } });
    for (const name of ["hv-rack-a1", "hv-rack-a2", "hv-rack-a3"]) agents.push(await startTestAgent(server.url, name, { proxies: [tier2.url] }));
  });
  afterAll(async () => {
    server?.server.off("request", countOriginGet);
    await Promise.allSettled(agents.map((agent) => agent.stop()));
    await Promise.allSettled([tier2?.stop(), tier1?.stop()]);
    await server?.close();
    for (const agent of agents) fs.rmSync(agent.config.cacheDir, { recursive: true, force: true });
    if (server) fs.rmSync(server.dataDir, { recursive: true, force: true });
  });

  let image: { id: string; name: string };
  let artifact: { url: string; compressedSize: number };
  let original: Buffer;

  it("precaches one image on three hypervisors at once with a single origin fetch", async () => {
    const { body } = await server.api("GET", "/api/images");
    image = body.images[0];
    artifact = await publishAndWait(server, image.id);
    original = fs.readFileSync(path.join(server.dataDir, "images", image.name));
    expect(originGets).toEqual([]);

    // All three ask at the same instant: tier 2 collapses them into one miss, tier 1 sees one request.
    const rollout = await rolloutAndWait(server, { imageId: image.id });
    expect(rollout, JSON.stringify(rollout.hypervisors)).toMatchObject({ state: "done", counts: { done: 3, failed: 0 } });
    for (const agent of agents) expectPlaced(agent);

    const tier2Entries = await artifactEntries(tier2, artifact.url, 3);
    const tier1Entries = await artifactEntries(tier1, artifact.url, 1);
    const summary = `tier1: ${JSON.stringify(tier1Entries)}\ntier2: ${JSON.stringify(tier2Entries)}`;

    // Tier 1: one fetch, straight from the origin, whole.
    expect(tier1Entries, summary).toHaveLength(1);
    expect(tier1Entries[0], summary).toMatchObject({ result: "TCP_MISS", status: 200, hierarchy: "HIER_DIRECT", range: null });
    expect(tier1Entries[0].bytes).toBeGreaterThanOrEqual(artifact.compressedSize);

    // Tier 2: exactly one request forwarded to the parent; the other two never left tier 2. Squid
    // logs a request that joined the in-flight fetch as TCP_CF_MISS (collapsed) and a later one
    // as a HIT, both with HIER_NONE; which one each gets depends on timing.
    expect(tier2Entries, summary).toHaveLength(3);
    const viaParent = tier2Entries.filter((entry) => entry.hierarchy !== "HIER_NONE");
    expect(viaParent, summary).toHaveLength(1);
    expect(viaParent[0], summary).toMatchObject({ result: "TCP_MISS", hierarchy: expect.stringMatching(/_PARENT$/) });
    for (const entry of tier2Entries.filter((candidate) => candidate !== viaParent[0])) {
      expect(entry.result, summary).toMatch(/^TCP_(CF_MISS|CF_HIT|HIT|MEM_HIT)$/);
    }
    for (const entry of tier2Entries) {
      expect(entry.status).toBe(200);
      expect(entry.bytes).toBeGreaterThanOrEqual(artifact.compressedSize);
    }

    // The origin's own view agrees: one GET of the artifact.
    expect(originGets).toEqual([new URL(artifact.url).pathname]);
  });

  it("serves a hypervisor that joins later from tier 2's cache", async () => {
    expect(artifact, "needs the first test's artifact").toBeDefined();
    const late = await startTestAgent(server.url, "hv-rack-a4", { proxies: [tier2.url] });
    agents.push(late);
    const rollout = await rolloutAndWait(server, { imageId: image.id, hypervisors: ["hv-rack-a4"] });
    expect(rollout, JSON.stringify(rollout.hypervisors)).toMatchObject({ state: "done", counts: { done: 1, failed: 0 } });
    expectPlaced(late);

    const tier2Entries = await artifactEntries(tier2, artifact.url, 4);
    expect(tier2Entries).toHaveLength(4);
    expect(tier2Entries[3]).toMatchObject({ result: expect.stringMatching(/^TCP_(MEM_)?HIT$/), status: 200, hierarchy: "HIER_NONE" });
    expect(await artifactEntries(tier1, artifact.url, 1)).toHaveLength(1);
    expect(originGets).toHaveLength(1);
  });

  function expectPlaced(agent: PrecacheAgent) {
    const placed = fs.readFileSync(baseFilePath(agent.config.cacheDir, image.id));
    expect(placed.equals(original), `${agent.config.name} holds the original bytes`).toBe(true);
    expect(fs.existsSync(partFilePath(agent.config.cacheDir, image.id))).toBe(false);
  }
});
