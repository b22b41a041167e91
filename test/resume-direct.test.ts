// Direct (no proxy) downloads throttled slower than the origin's keep-alive timeout: the origin's
// response "ends" while the tail still sits in buffers, then the socket closes. Every run must
// complete without re-fetching a byte. The race that once made runs here re-fetch a tail, on
// demand: agent/download/artifact-chunks.test.ts.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { placeImage } from "../agent/download/place-image.ts";
import { startArtifactOrigin, type ServedImage } from "./support/artifact-origin.ts";

const RUNS = 8;
const SIZE = 4 * 1024 * 1024; // incompressible, so the artifact is about as big: more than the socket buffers hold
const BYTES_PER_SECOND = 1024 * 1024;

describe("direct throttled downloads outlast the origin's keep-alive", () => {
  let origin: Awaited<ReturnType<typeof startArtifactOrigin>>;
  let image: ServedImage;
  const dirs: string[] = [];
  beforeAll(async () => {
    // 100 ms instead of Node's 5 s: the same race, seconds instead of minutes.
    origin = await startArtifactOrigin({ keepAliveTimeoutMs: 100 });
    image = origin.publish(crypto.randomBytes(SIZE));
  });
  afterAll(async () => {
    await origin?.close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`completes on each of ${RUNS} runs with 0 bytes re-fetched`, async () => {
    const failures: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-direct-"));
      dirs.push(cacheDir);
      const before = origin.bytesSent();
      const placed = await placeImage({
        imageId: image.imageId,
        artifactUrl: image.url,
        hash: { algo: "sha512", value: image.sha512 },
        cacheDir,
        proxies: [],
        imageSize: SIZE,
        bandwidthBytesPerSecond: BYTES_PER_SECOND,
      }).catch((error: Error) => (failures.push(`run ${run}: ${error.message}`), null));
      if (!placed) continue;
      expect(fs.readFileSync(placed.path).equals(image.data)).toBe(true);
      const refetched = origin.bytesSent() - before - image.compressedSize;
      if (refetched !== 0) failures.push(`run ${run}: ${refetched} bytes re-fetched`);
    }
    console.log(`direct throttled: ${RUNS - failures.length}/${RUNS} runs clean`);
    expect(failures).toEqual([]);
  });
});
