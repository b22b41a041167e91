// Proxy failover with real Squids: a dead first proxy, and a proxy killed mid-transfer whose
// successor continues from the same byte offset (Range), so gunzip and hashing never restart.
import crypto from "node:crypto";
import fs from "node:fs";
import type { IncomingMessage } from "node:http";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import { baseFilePath, partFilePath } from "../agent/download/cache-paths.ts";
import { placeImage } from "../agent/download/place-image.ts";
import { directoryImageId } from "../server/images/directory-source.ts";
import { imageLikeStream } from "../server/images/image-like-data.ts";
import { artifactEntries, assertSquidAvailable, shouldSkipSquidTests, startSquid, type RunningSquid } from "./support/squid.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { publishAndWait, rolloutAndWait, startTestServer, type TestServer } from "./support/test-server.ts";

const SMALL = { name: "failover-small.raw", bytes: 8 * 1024 * 1024, seed: 7 };
const BIG = { name: "failover-big.raw", bytes: 192 * 1024 * 1024, seed: 9 };

type Published = { id: string; size: number; osHashValue: string; url: string; compressedSize: number };

describe.skipIf(shouldSkipSquidTests("squid failover"))("proxy failover through real Squids", () => {
  let server: TestServer;
  const squids: RunningSquid[] = [];
  const agents: PrecacheAgent[] = [];
  const tempDirs: string[] = [];
  const originGets: { url: string; range: string | undefined }[] = [];
  const countOriginGet = (req: IncomingMessage) => {
    if (req.method === "GET" && req.url?.startsWith("/artifacts/")) originGets.push({ url: req.url, range: req.headers.range });
  };
  const images: Record<string, Published> = {};

  beforeAll(async () => {
    assertSquidAvailable();
    // Our own image dir, so the server does not seed its sample and we get a big image too.
    const dataDir = tempDir("precache-failover-");
    fs.mkdirSync(path.join(dataDir, "images"));
    for (const spec of [SMALL, BIG]) {
      await pipeline(imageLikeStream(spec.bytes, spec.seed), fs.createWriteStream(path.join(dataDir, "images", spec.name)));
    }
    server = await startTestServer({ PRECACHE_DATA_DIR: dataDir });
    server.server.on("request", countOriginGet);
    const { body } = await server.api("GET", "/api/images");
    for (const spec of [SMALL, BIG]) {
      const image = body.images.find((candidate: { id: string }) => candidate.id === directoryImageId(spec.name));
      const artifact = await publishAndWait(server, image.id, 1);
      images[spec.name] = {
        id: image.id,
        size: image.size,
        osHashValue: image.osHashValue,
        url: artifact.url,
        compressedSize: artifact.compressedSize,
      };
    }
  });
  afterAll(async () => {
    server?.server.off("request", countOriginGet);
    await Promise.allSettled(agents.map((agent) => agent.stop()));
    await Promise.allSettled(squids.map((squid) => squid.stop()));
    await server?.close();
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  function tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    tempDirs.push(dir);
    return dir;
  }
  async function squid(name: string): Promise<RunningSquid> {
    const started = await startSquid({ name });
    squids.push(started);
    return started;
  }

  it("skips a dead first proxy and precaches through the second", async () => {
    const dead = await squid("dead");
    await dead.kill();
    await expect(fetch(dead.url), "the first proxy is really gone").rejects.toThrow();
    const good = await squid("good");
    const agent = await startTestAgent(server.url, "hv-failover", {
      proxies: [dead.url, good.url],
      cacheDir: tempDir("precache-hv-failover-"),
    });
    agents.push(agent);
    const image = images[SMALL.name];

    const rollout = await rolloutAndWait(server, { imageId: image.id });
    expect(rollout, JSON.stringify(rollout.hypervisors)).toMatchObject({ state: "done", counts: { done: 1, failed: 0 } });
    const placed = fs.readFileSync(baseFilePath(agent.config.cacheDir, image.id));
    expect(placed.equals(fs.readFileSync(path.join(server.dataDir, "images", SMALL.name)))).toBe(true);

    const entries = await artifactEntries(good, image.url, 1);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ result: "TCP_MISS", status: 200, hierarchy: "HIER_DIRECT", range: null });
    expect(originGets.filter((get) => image.url.endsWith(get.url))).toHaveLength(1);
  });

  it("continues from the same byte offset through the next proxy when one dies mid-transfer", async () => {
    const first = await squid("first");
    const second = await squid("second");
    const image = images[BIG.name];
    const cacheDir = tempDir("precache-hv-midway-");
    const routes: { route: string; offset: number }[] = [];
    let killedAt: number | null = null;

    const placed = await placeImage({
      imageId: image.id,
      artifactUrl: image.url,
      hash: { algo: "sha512", value: image.osHashValue },
      cacheDir,
      proxies: [first.url, second.url],
      allowDirect: false,
      imageSize: image.size,
      onRoute: (route, offset) => routes.push({ route, offset }),
      onProgress(bytes) {
        // SIGKILL from inside the stream: the first proxy dies with ~80 % still to send.
        if (killedAt === null && bytes >= image.size / 5) {
          killedAt = bytes;
          process.kill(first.pid, "SIGKILL");
        }
      },
    });
    await first.kill(); // reap it

    expect(killedAt).not.toBeNull();
    expect(placed).toMatchObject({ bytes: image.size, compressedBytes: image.compressedSize });
    expect(fs.existsSync(partFilePath(cacheDir, image.id))).toBe(false);
    const digest = crypto.createHash("sha512");
    await pipeline(fs.createReadStream(placed.path), digest);
    expect(digest.digest("hex")).toBe(image.osHashValue);

    // Route 1 from byte 0; after the break a Range retry on the dead first proxy (refused), then
    // the second, both from wherever the first broke off: a continuation, not a restart.
    const resumedAt = routes[1].offset;
    expect(routes[0]).toEqual({ route: first.url, offset: 0 });
    expect(routes.at(-1)!.route).toBe(second.url);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThan(image.compressedSize);
    expect(routes.slice(1).every((entry) => entry.offset === resumedAt)).toBe(true);
    expect(routes.filter((entry) => entry.route === second.url)).toHaveLength(1);

    // The second Squid got the Range request and answered it partially...
    const entries = await artifactEntries(second, image.url, 1);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ status: 206, range: `bytes=${resumedAt}-`, hierarchy: "HIER_DIRECT" });
    // ...while fetching the whole object from the origin (range_offset_limit -1), so it is cached
    // for the next hypervisor. The origin saw two whole fetches: one per Squid.
    const bigGets = originGets.filter((get) => image.url.endsWith(get.url));
    expect(bigGets).toEqual([
      { url: new URL(image.url).pathname, range: undefined },
      { url: new URL(image.url).pathname, range: undefined },
    ]);
  });
});
