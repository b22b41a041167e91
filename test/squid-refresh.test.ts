// A corrupt artifact cached by Squid is not served again on retry: the agent's second attempt
// asks for a fresh copy (Cache-Control: no-cache), Squid refetches it from the origin, and the
// image lands verified.
import fs from "node:fs";
import type { IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import { baseFilePath } from "../agent/download/cache-paths.ts";
import { baseFileName } from "../protocol/nova-files.ts";
import { artifactFile } from "../server/publish/artifact-paths.ts";
import { retryPolicy } from "../server/rollouts/target-retry.ts";
import { cachedBody, shouldSkipSquidTests, startSquid, type RunningSquid } from "./support/squid.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { publishAndWait, startTestServer, waitFor, type TestServer } from "./support/test-server.ts";

describe.skipIf(shouldSkipSquidTests("squid refresh"))("retry after bad bytes through Squid", () => {
  let server: TestServer;
  let squid: RunningSquid;
  let agent: PrecacheAgent;
  const originGets: string[] = [];
  const baseMs = retryPolicy.baseMs;

  beforeAll(async () => {
    retryPolicy.baseMs = 2000;
    server = await startTestServer();
    server.server.on("request", (req: IncomingMessage) => {
      if (req.method === "GET" && req.url?.startsWith("/artifacts/")) originGets.push(req.url);
    });
    squid = await startSquid({ name: "refresh" });
    agent = await startTestAgent(server.url, "hv-refresh", { proxies: [squid.url] });
  });
  afterAll(async () => {
    retryPolicy.baseMs = baseMs;
    await agent?.stop();
    await squid?.stop();
    await server?.close();
  });

  it("refetches through Squid after a hash failure and lands the image", async () => {
    const image = (await server.api("GET", "/api/images")).body.images[0];
    const artifact = await publishAndWait(server, image.id);
    const file = artifactFile(`${server.dataDir}/artifacts`, image.id, artifact.sha256);
    const good = fs.readFileSync(file);
    const bad = Buffer.from(good);
    for (let i = 0; i < 4096; i++) bad[Math.floor(bad.length / 2) + i] ^= 0xff;
    fs.writeFileSync(file, bad);

    const created = await server.api("POST", "/api/rollouts", { imageId: image.id, maxAttempts: 2 });
    const id = created.body.rollout.id;
    const firstError = await waitFor("the first attempt to fail", async () => {
      const target = (await server.api("GET", `/api/rollouts/${id}`)).body.rollout.hypervisors[0];
      return target.error ?? undefined;
    });
    expect(firstError).toMatch(/^(DECOMPRESS_FAILED|HASH_MISMATCH):/);
    // The agent hung up mid-transfer; with quick_abort_min -1 Squid finishes the fill regardless.
    // Check it holds the whole bad copy, without letting it ask the origin (only-if-cached).
    const cached = await waitFor("Squid to hold the bad copy", async () => {
      const body = await cachedBody(squid.port, artifact.url);
      return body?.length === bad.length ? body : undefined;
    });
    expect(cached.equals(bad)).toBe(true);
    fs.writeFileSync(file, good); // the origin is healthy again; Squid still holds the bad copy

    const rollout = await waitFor("the rollout to end", async () => {
      const view = (await server.api("GET", `/api/rollouts/${id}`)).body.rollout;
      return view.state === "running" ? undefined : view;
    });
    expect(rollout).toMatchObject({ state: "done", hypervisors: [{ attempts: 2, state: "done" }] });
    expect(fs.readFileSync(baseFilePath(agent.config.cacheDir, image.id)).length).toBe(image.size);
    expect(originGets).toHaveLength(2);
    const entries = (await squid.accessLog()).filter((entry) => entry.url === artifact.url);
    // The first fetch is logged TCP_MISS, or TCP_MISS_ABORTED when the agent hung up before Squid
    // had sent it all; then the check above (a HIT); then the retry, which Squid, though it holds
    // the object, sends to the origin (Squid 5.7 logs it TCP_MISS; others TCP_CLIENT_REFRESH_MISS).
    expect(entries.map((entry) => entry.result)).toEqual([
      expect.stringMatching(/^TCP_MISS/),
      expect.stringMatching(/HIT/),
      expect.stringMatching(/^TCP_(CLIENT_REFRESH_)?MISS$/),
    ]);
    // Nothing partial left, and what the agent was sent beyond one artifact is the bad first copy
    // (at most one artifact, by design: bad bytes are fetched fresh) plus headers. The HIT is ours.
    expect(fs.readdirSync(agent.config.cacheDir)).toEqual([baseFileName(image.id)]);
    const refetched = entries[0].bytes + entries[2].bytes - artifact.compressedSize;
    console.log(`corrupted object in Squid: ${refetched} B re-fetched for an artifact of ${artifact.compressedSize} B`);
    expect(refetched).toBeLessThanOrEqual(artifact.compressedSize + 2048);
  });
});
