// The CERN shape with real parts: origin → Squid tier 1 → Squid tier 2 → three agents.
// The origin must send each artifact once, however many hypervisors ask and however they ask.
import fs from "node:fs";
import type { IncomingMessage } from "node:http";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import { baseFilePath, partFilePath } from "../agent/download/cache-paths.ts";
import { directoryImageId } from "../server/images/directory-source.ts";
import { imageLikeStream } from "../server/images/image-like-data.ts";
import { SAMPLE_IMAGE_BYTES, SAMPLE_IMAGE_NAME, seedSampleImage } from "../server/images/seed-sample-image.ts";
import { artifactEntries, shouldSkipSquidTests, startSquid, type AccessEntry, type RunningSquid } from "./support/squid.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { publishAndWait, rolloutAndWait, startTestServer, type TestServer } from "./support/test-server.ts";

// The seeded sample, plus a second image of the same size so each rollout strategy starts cold.
const SECOND_IMAGE = "precache-sample-2.raw";
const RACK = ["hv-rack-a1", "hv-rack-a2", "hv-rack-a3"];

type Published = { id: string; name: string; url: string; compressedSize: number };

describe.skipIf(shouldSkipSquidTests("squid fan-out"))("two-tier Squid fan-out", () => {
  let server: TestServer;
  let tier1: RunningSquid;
  let tier2: RunningSquid;
  const agents: PrecacheAgent[] = [];
  const originGets: string[] = [];
  const countOriginGet = (req: IncomingMessage) => {
    if (req.method === "GET" && req.url?.startsWith("/artifacts/")) originGets.push(req.url);
  };
  const published: Record<string, Published> = {};

  beforeAll(async () => {
    tier1 = await startSquid({ name: "tier1" });
    tier2 = await startSquid({ name: "tier2", parent: { host: "127.0.0.1", port: tier1.port } });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-fanout-"));
    await seedSampleImage(path.join(dataDir, "images"));
    await pipeline(imageLikeStream(SAMPLE_IMAGE_BYTES, 43), fs.createWriteStream(path.join(dataDir, "images", SECOND_IMAGE)));
    server = await startTestServer({ PRECACHE_DATA_DIR: dataDir });
    server.server.on("request", countOriginGet);
    for (const name of [SAMPLE_IMAGE_NAME, SECOND_IMAGE]) {
      const id = directoryImageId(name);
      const artifact = await publishAndWait(server, id);
      published[name] = { id, name, url: artifact.url, compressedSize: artifact.compressedSize };
    }
    for (const name of RACK) agents.push(await startTestAgent(server.url, name, { proxies: [tier2.url] }));
  });
  afterAll(async () => {
    server?.server.off("request", countOriginGet);
    await Promise.allSettled(agents.map((agent) => agent.stop()));
    await Promise.allSettled([tier2?.stop(), tier1?.stop()]);
    await server?.close();
    for (const agent of agents) fs.rmSync(agent.config.cacheDir, { recursive: true, force: true });
    if (server) fs.rmSync(server.dataDir, { recursive: true, force: true });
  });

  it("waves (the default): one warm-up download through tier 2, then cache hits", async () => {
    const image = published[SAMPLE_IMAGE_NAME];
    const rollout = await rolloutAndWait(server, { imageId: image.id });
    expect(rollout, JSON.stringify(rollout.hypervisors)).toMatchObject({ state: "done", counts: { done: 3, failed: 0 } });
    for (const agent of agents) expectPlaced(agent, image);

    const { tier1Entries, tier2Entries, summary } = await logsFor(image, 3);
    expectOneOriginFetch(image, tier1Entries, summary);
    // The warm-up finished before the others were sent: they are plain hits.
    expect(tier2Entries[0], summary).toMatchObject({ result: "TCP_MISS", status: 200, hierarchy: expect.stringMatching(/_PARENT$/) });
    for (const entry of tier2Entries.slice(1)) {
      expect(entry, summary).toMatchObject({ result: expect.stringMatching(/^TCP_(MEM_)?HIT$/), status: 200, hierarchy: "HIER_NONE" });
    }
  });

  it("jitter 0 (all at once): tier 2 collapses the simultaneous misses into one", async () => {
    const image = published[SECOND_IMAGE];
    const request = { imageId: image.id, strategy: "jitter", jitterSeconds: 0 };
    const rollout = await rolloutAndWait(server, request);
    expect(rollout, JSON.stringify(rollout.hypervisors)).toMatchObject({ state: "done", counts: { done: 3, failed: 0 } });
    for (const agent of agents) expectPlaced(agent, image);

    const { tier1Entries, tier2Entries, summary } = await logsFor(image, 3);
    expectOneOriginFetch(image, tier1Entries, summary);
    // Exactly one request left tier 2. Squid logs one that joined the in-flight fetch as
    // TCP_CF_MISS (collapsed) and one that came after it as a HIT, both HIER_NONE: timing decides.
    const viaParent = tier2Entries.filter((entry) => entry.hierarchy !== "HIER_NONE");
    expect(viaParent, summary).toHaveLength(1);
    expect(viaParent[0], summary).toMatchObject({ result: "TCP_MISS", status: 200, hierarchy: expect.stringMatching(/_PARENT$/) });
    for (const entry of tier2Entries.filter((candidate) => candidate !== viaParent[0])) {
      expect(entry, summary).toMatchObject({ result: expect.stringMatching(/^TCP_(CF_MISS|CF_HIT|HIT|MEM_HIT)$/), status: 200 });
    }
  });

  it("serves a hypervisor that joins later from tier 2's cache", async () => {
    const image = published[SAMPLE_IMAGE_NAME];
    const late = await startTestAgent(server.url, "hv-rack-a4", { proxies: [tier2.url] });
    agents.push(late);
    const rollout = await rolloutAndWait(server, { imageId: image.id, hypervisors: ["hv-rack-a4"] });
    expect(rollout, JSON.stringify(rollout.hypervisors)).toMatchObject({ state: "done", counts: { done: 1, failed: 0 } });
    expectPlaced(late, image);

    const { tier1Entries, tier2Entries, summary } = await logsFor(image, 4);
    expectOneOriginFetch(image, tier1Entries, summary);
    expect(tier2Entries[3], summary).toMatchObject({
      result: expect.stringMatching(/^TCP_(MEM_)?HIT$/),
      status: 200,
      hierarchy: "HIER_NONE",
    });
  });

  function expectPlaced(agent: PrecacheAgent, image: Published) {
    const placed = fs.readFileSync(baseFilePath(agent.config.cacheDir, image.id));
    const original = fs.readFileSync(path.join(server.dataDir, "images", image.name));
    expect(placed.equals(original), `${agent.config.name} holds the original bytes of ${image.name}`).toBe(true);
    expect(fs.existsSync(partFilePath(agent.config.cacheDir, image.id))).toBe(false);
  }

  async function logsFor(image: Published, agentRequests: number) {
    const tier2Entries = await artifactEntries(tier2, image.url, agentRequests);
    const tier1Entries = await artifactEntries(tier1, image.url, 1);
    const summary = `tier1: ${JSON.stringify(tier1Entries)}\ntier2: ${JSON.stringify(tier2Entries)}\norigin GETs: ${JSON.stringify(originGets)}`;
    expect(tier2Entries, summary).toHaveLength(agentRequests);
    for (const entry of tier2Entries) expect(entry.bytes, summary).toBeGreaterThanOrEqual(image.compressedSize);
    return { tier1Entries, tier2Entries, summary };
  }

  /** Tier 1 fetched the artifact once, whole, straight from the origin, and the origin agrees. */
  function expectOneOriginFetch(image: Published, tier1Entries: AccessEntry[], summary: string) {
    expect(tier1Entries, summary).toHaveLength(1);
    expect(tier1Entries[0], summary).toMatchObject({ result: "TCP_MISS", status: 200, hierarchy: "HIER_DIRECT", range: null });
    expect(tier1Entries[0].bytes).toBeGreaterThanOrEqual(image.compressedSize);
    expect(
      originGets.filter((get) => get === new URL(image.url).pathname),
      summary,
    ).toHaveLength(1);
  }
});
