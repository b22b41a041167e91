// Direct downloads (one route) that break mid-body: cut at byte N, or silent past the idle
// timeout. Both continue from N with Range on the same route; nothing is fetched twice.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { placeImage } from "../agent/download/place-image.ts";
import { startBreakingOrigin } from "./support/breaking-origin.ts";

const data = crypto.randomBytes(2 * 1024 * 1024);
const gz = zlib.gzipSync(data, { level: 1 });
const sha512 = crypto.createHash("sha512").update(data).digest("hex");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(["cut", "silent"] as const)("a direct download whose origin goes %s at byte N", (mode) => {
  it("continues from N on the same route and places the verified image", async () => {
    const stopAt = 1_000_000;
    const origin = await startBreakingOrigin(gz, stopAt, mode);
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-breaks-"));
    dirs.push(cacheDir);
    const offsets: number[] = [];
    try {
      const placed = await placeImage({
        imageId: crypto.randomUUID(),
        artifactUrl: origin.url,
        hash: { algo: "sha512", value: sha512 },
        cacheDir,
        proxies: [],
        imageSize: data.length,
        // The 60 s default, scaled down: silence this long counts as a break.
        idleTimeoutMs: 500,
        onRoute: (_route, offset) => offsets.push(offset),
      });
      expect(fs.readFileSync(placed.path).equals(data)).toBe(true);
      expect(offsets).toEqual([0, stopAt]);
      expect(origin.ranges).toEqual([null, `bytes=${stopAt}-`]);
      const refetched = origin.bytesSent() - gz.length;
      console.log(`direct, ${mode} at ${stopAt}: resumed with one Range request, ${refetched} B re-fetched`);
      expect(refetched).toBe(0);
    } finally {
      await origin.close();
    }
  });
});
