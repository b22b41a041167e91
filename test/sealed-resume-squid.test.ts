// A sealed artifact through real Squids, the only tier-2 proxy SIGKILLed mid-transfer and back
// 3 s later on its port: the download resumes on a chunk boundary (the unit that authenticates),
// opens every chunk and lands verified; nothing is left as .part.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { partFilePath } from "../agent/download/cache-paths.ts";
import { placeImage } from "../agent/download/place-image.ts";
import { DEFAULT_CHUNK_BYTES, HEADER_BYTES, TAG_BYTES } from "../protocol/sealed-stream.ts";
import { startArtifactOrigin } from "./support/artifact-origin.ts";
import { artifactEntries, shouldSkipSquidTests, startSquid, type RunningSquid } from "./support/squid.ts";

describe.skipIf(shouldSkipSquidTests("sealed resume"))("sealed downloads resume on a chunk boundary through real Squids", () => {
  let origin: Awaited<ReturnType<typeof startArtifactOrigin>>;
  const squids: RunningSquid[] = [];
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-sealed-resume-"));
  beforeAll(async () => {
    origin = await startArtifactOrigin();
  });
  afterAll(async () => {
    await Promise.allSettled(squids.map((squid) => squid.stop()));
    await origin?.close();
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });
  async function squid(options: Parameters<typeof startSquid>[0]): Promise<RunningSquid> {
    const started = await startSquid(options);
    squids.push(started);
    return started;
  }

  it("continues from the chunk boundary at or before the break when tier 2 is SIGKILLed and comes back", async () => {
    const tier1 = await squid({ name: "sealed-t1" });
    const parent = { host: "127.0.0.1", port: tier1.port };
    const tier2 = await squid({ name: "sealed-t2", parent });
    const image = await origin.publishSealed(crypto.randomBytes(24 * 1024 * 1024));
    const routes: { route: string; offset: number }[] = [];
    let killed = false;
    let restarted: Promise<RunningSquid> | null = null;
    const placed = await placeImage({
      imageId: image.imageId,
      artifactUrl: image.url,
      hash: { algo: "sha512", value: image.sha512 },
      cacheDir,
      proxies: [tier2.url],
      imageSize: image.data.length,
      sealedKey: image.sealedKey,
      bandwidthBytesPerSecond: 8 * 1024 * 1024,
      onRoute: (route, offset) => routes.push({ route, offset }),
      onProgress(bytes) {
        if (killed || bytes < image.data.length / 3) return;
        killed = true;
        restarted = tier2
          .kill()
          .then(() => new Promise((resolve) => setTimeout(resolve, 3_000)))
          .then(() => squid({ name: "sealed-t2", parent, port: tier2.port }));
      },
    });
    const again = await restarted!;
    expect(fs.readFileSync(placed.path).equals(image.data)).toBe(true);
    expect(fs.existsSync(partFilePath(cacheDir, image.imageId))).toBe(false);
    const resumedAt = routes[1].offset;
    expect(routes[0].offset).toBe(0);
    expect(resumedAt).toBeGreaterThan(HEADER_BYTES);
    expect((resumedAt - HEADER_BYTES) % (DEFAULT_CHUNK_BYTES + TAG_BYTES)).toBe(0);
    const [entry] = await artifactEntries(again, image.url, 1);
    expect(entry).toMatchObject({ status: 206, range: `bytes=${resumedAt}-` });
    // The restarted Squid sent the range asked for and nothing more than its response headers.
    const overhead = entry.bytes - (image.compressedSize - resumedAt);
    console.log(`sealed, tier 2 killed: resumed at chunk boundary ${resumedAt} B (${overhead} B of response headers on top)`);
    expect(overhead).toBeLessThan(1024);
  });
});
