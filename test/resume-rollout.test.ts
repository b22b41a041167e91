// A rollout with default retry settings and maxAttempts 1, through one tier-2 Squid that is
// SIGKILLed mid-transfer and comes back on its port: the agent resumes from the same byte inside
// its one attempt, and the node ends verified. Set PRECACHE_OUTAGE_SECONDS=60 for the issue's
// 60 s outage (the default keeps the test short).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import { baseFilePath, partFilePath } from "../agent/download/cache-paths.ts";
import { directoryImageId } from "../server/images/directory-source.ts";
import { imageLikeStream } from "../server/images/image-like-data.ts";
import { artifactEntries, shouldSkipSquidTests, startSquid, type RunningSquid } from "./support/squid.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { publishAndWait, startTestServer, waitFor, type TestServer } from "./support/test-server.ts";

const IMAGE = { name: "resume-rollout.raw", bytes: 48 * 1024 * 1024, seed: 11 };
const OUTAGE_SECONDS = Number(process.env.PRECACHE_OUTAGE_SECONDS ?? 4);

describe.skipIf(shouldSkipSquidTests("rollout resume"))("a rollout survives its only proxy dying", () => {
  let server: TestServer;
  let agent: PrecacheAgent | undefined;
  const squids: RunningSquid[] = [];
  const dirs: string[] = [];
  const tempDir = (prefix: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  beforeAll(async () => {
    const dataDir = tempDir("precache-resume-rollout-");
    fs.mkdirSync(path.join(dataDir, "images"));
    await pipeline(imageLikeStream(IMAGE.bytes, IMAGE.seed), fs.createWriteStream(path.join(dataDir, "images", IMAGE.name)));
    server = await startTestServer({ PRECACHE_DATA_DIR: dataDir });
  });
  afterAll(async () => {
    await agent?.stop();
    await Promise.allSettled(squids.map((squid) => squid.stop()));
    await server?.close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`ends verified, in one attempt, after a ${OUTAGE_SECONDS} s outage of tier 2`, { timeout: (OUTAGE_SECONDS + 50) * 1000 }, async () => {
    const imageId = directoryImageId(IMAGE.name);
    const artifact = await publishAndWait(server, imageId, 1);
    const tier2 = await startSquid({ name: "t2-only" });
    squids.push(tier2);
    agent = await startTestAgent(server.url, "hv-one-proxy", { proxies: [tier2.url], cacheDir: tempDir("precache-hv-one-proxy-") });

    // 12 Mbps: about 11 s for the 16 MB artifact, long enough to kill the proxy mid-transfer.
    const created = await server.api("POST", "/api/rollouts", { imageId, maxAttempts: 1, bandwidthMbps: 12 });
    expect(created.status).toBe(201);
    const id = created.body.rollout.id;
    const view = async () => (await server.api("GET", `/api/rollouts/${id}`)).body.rollout;
    await expect.poll(async () => (await view()).hypervisors[0]?.bytes ?? 0, { message: "the first bytes" }).toBeGreaterThan(0);
    await tier2.kill();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_SECONDS * 1000));
    const back = await startSquid({ name: "t2-only", port: tier2.port });
    squids.push(back);

    const done = await waitFor(`rollout ${id}`, async () => {
      const rollout = await view();
      return rollout.state === "running" ? undefined : rollout;
    });
    expect(done, JSON.stringify(done.hypervisors)).toMatchObject({ state: "done", counts: { done: 1, failed: 0 } });
    expect(done.hypervisors[0].attempts).toBe(1);
    const placed = baseFilePath(agent.config.cacheDir, imageId);
    expect(fs.readFileSync(placed).equals(fs.readFileSync(path.join(server.dataDir, "images", IMAGE.name)))).toBe(true);
    expect(fs.existsSync(partFilePath(agent.config.cacheDir, imageId))).toBe(false);

    // The restarted proxy got one Range request from where the transfer broke, not byte 0.
    const [entry] = await artifactEntries(back, artifact.url, 1);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(entry.range ?? "")?.[1]);
    expect(entry.status).toBe(206);
    expect(resumedAt).toBeGreaterThan(0);
    const refetched = entry.bytes - (artifact.compressedSize - resumedAt);
    console.log(
      `rollout, one proxy down ${OUTAGE_SECONDS} s: resumed at ${resumedAt} of ${artifact.compressedSize} B, ${refetched} B re-fetched (headers), 1 attempt`,
    );
    expect(refetched).toBeLessThan(1024);
  });
});
