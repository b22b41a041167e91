// Whatever a source sends (a compromised peer, a poisoned cache, a hostile origin), the agent's
// download stays within bounds: inflated bytes never beyond Glance's size, compressed bytes never
// beyond the artifact's, and never closer than a margin to a full disk. Each stream here never
// ends; the agent stops it at the bound, removes its .part and says why. On a small tmpfs, so a
// missing bound fails the test instead of filling the machine's disk.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentError } from "../agent/agent-error.ts";
import { SPACE_MARGIN_BYTES } from "../agent/download/byte-bounds.ts";
import { placeImage, type PlaceImageOptions } from "../agent/download/place-image.ts";
import { freeBytes } from "../shared/files.ts";
import { startGzipOrigin, type GzipOrigin } from "./support/gzip-origin.ts";
import { mountSmallDisk, unmount } from "./support/small-disk.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const DISK_MIB = 160;

const disk = mountSmallDisk(DISK_MIB);

describe.skipIf(!disk)("bounded downloads on the agent", () => {
  let origin: GzipOrigin;
  beforeAll(async () => {
    origin = await startGzipOrigin();
  });
  afterAll(async () => {
    await origin?.close();
    unmount(disk);
  });

  /** Places `url` into a fresh cache dir on the small disk; the error, and the most bytes it ever reported. */
  async function place(url: string, options: Partial<PlaceImageOptions>) {
    const cacheDir = fs.mkdtempSync(path.join(disk!, "cache-"));
    let mostBytes = 0;
    const error = await placeImage({
      imageId: crypto.randomUUID(),
      artifactUrl: url,
      hash: { algo: "sha512", value: "ab".repeat(64) },
      cacheDir,
      proxies: [],
      allowDirect: true,
      retryBudgetSeconds: 5,
      onProgress: (bytes) => (mostBytes = Math.max(mostBytes, bytes)),
      ...options,
    }).then(
      () => new Error("placed an endless stream"),
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AgentError);
    return { error: error as AgentError, mostBytes, cacheDir };
  }

  it("stops gzip that inflates without end at Glance's size, with SIZE_MISMATCH, and removes the .part", async () => {
    const { url } = origin.serveEndless("inflating");
    const { error, mostBytes, cacheDir } = await place(url, { imageSize: 64 * KiB });
    expect(error.code).toBe("SIZE_MISMATCH");
    expect(error.message).toMatch(/inflates beyond Glance's size of 65536 bytes/);
    expect(mostBytes).toBeLessThanOrEqual(64 * KiB);
    expect(fs.readdirSync(cacheDir)).toEqual([]);
  }, 30_000);

  it("stops compressed bytes at the artifact's size, even when they inflate to nothing", async () => {
    const endless = origin.serveEndless("empty-members");
    const { error, mostBytes, cacheDir } = await place(endless.url, { imageSize: 0, compressedSize: MiB });
    expect(error.code).toBe("SIZE_MISMATCH");
    expect(error.message).toMatch(/more than the artifact's 1048576 bytes/);
    expect(mostBytes).toBe(0);
    expect(fs.readdirSync(cacheDir)).toEqual([]);
    // What the origin managed to send: the bound, socket buffers and one read-ahead, not an endless stream.
    expect(endless.sentBytes()).toBeLessThan(32 * MiB);
  }, 30_000);

  it("re-checks free space while streaming: an image of unknown size stops with DISK_FULL, the margin kept", async () => {
    const { url } = origin.serveEndless("inflating");
    const freeAtStart = await freeBytes(disk!);
    const { error, mostBytes, cacheDir } = await place(url, { imageSize: null });
    expect(error.code).toBe("DISK_FULL");
    expect(error.message).toMatch(/keep .*free/);
    expect(mostBytes).toBeGreaterThan(0);
    expect(mostBytes).toBeLessThanOrEqual(freeAtStart - SPACE_MARGIN_BYTES);
    expect(fs.readdirSync(cacheDir)).toEqual([]);
    expect(await freeBytes(disk!)).toBeGreaterThanOrEqual(freeAtStart - MiB);
  }, 60_000);
});
