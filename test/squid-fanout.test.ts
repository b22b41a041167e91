// The CERN shape with real parts: origin → Squid tier 1 → Squid tier 2 → three agents.
// The origin must send the artifact once, however many hypervisors ask.
import fs from "node:fs";
import type { IncomingMessage } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import { baseFilePath, partFilePath } from "../agent/download/cache-paths.ts";
import { shouldSkipSquidTests, startSquid, type AccessEntry, type RunningSquid } from "./support/squid.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { publishAndWait, rolloutAndWait, startTestServer, waitFor, type TestServer } from "./support/test-server.ts";

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

  it("precaches one image on three hypervisors with a single origin fetch", async () => {
    const { body } = await server.api("GET", "/api/images");
    const image = body.images[0];
    const artifact = await publishAndWait(server, image.id);
    expect(originGets).toEqual([]);

    // All three at once: tier 2 collapses them into one miss, tier 1 sees one request.
    const rollout = await rolloutAndWait(server, { imageId: image.id });
    expect(rollout, JSON.stringify(rollout.hypervisors)).toMatchObject({ state: "done", counts: { done: 3, failed: 0 } });

    const original = fs.readFileSync(path.join(server.dataDir, "images", image.name));
    for (const agent of agents) {
      const placed = fs.readFileSync(baseFilePath(agent.config.cacheDir, image.id));
      expect(placed.equals(original), `${agent.config.name} holds the original bytes`).toBe(true);
      expect(fs.existsSync(partFilePath(agent.config.cacheDir, image.id))).toBe(false);
    }

    // Squid writes a log line when a transaction ends, a moment after the client has the last byte.
    const forArtifact = (entries: AccessEntry[]) => entries.filter((entry) => entry.url === artifact.url);
    const tier2Entries = await waitFor("three artifact requests in tier 2's access log", async () => {
      const entries = forArtifact(await tier2.accessLog());
      return entries.length >= 3 ? entries : undefined;
    });
    const tier1Entries = await waitFor("an artifact request in tier 1's access log", async () => {
      const entries = forArtifact(await tier1.accessLog());
      return entries.length >= 1 ? entries : undefined;
    });
    const summary = `tier1: ${JSON.stringify(tier1Entries)}\ntier2: ${JSON.stringify(tier2Entries)}`;

    // Tier 1: one fetch, straight from the origin, whole.
    expect(tier1Entries, summary).toHaveLength(1);
    expect(tier1Entries[0], summary).toMatchObject({ result: "TCP_MISS", status: 200, hierarchy: "HIER_DIRECT", range: null });
    expect(tier1Entries[0].bytes).toBeGreaterThanOrEqual(artifact.compressedSize);

    // Tier 2: three agents, one miss forwarded to the parent, the others served from cache.
    expect(tier2Entries, summary).toHaveLength(3);
    const viaParent = tier2Entries.filter((entry) => entry.hierarchy !== "HIER_NONE");
    expect(viaParent, summary).toHaveLength(1);
    expect(viaParent[0].result).toBe("TCP_MISS");
    expect(viaParent[0].hierarchy).toMatch(/_PARENT$/);
    const hits = tier2Entries.filter((entry) => entry !== viaParent[0]);
    for (const hit of hits) expect(hit.result, summary).toMatch(/^TCP_(CF_|MEM_)?HIT$/);
    for (const entry of tier2Entries) {
      expect(entry.status).toBe(200);
      expect(entry.bytes).toBeGreaterThanOrEqual(artifact.compressedSize);
    }

    // The origin's own view agrees: one GET of the artifact, ever.
    const artifactPath = new URL(artifact.url).pathname;
    expect(originGets).toEqual([artifactPath]);
  });
});

