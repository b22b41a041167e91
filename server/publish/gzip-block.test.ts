// Storing incompressible segments must never cost compression on data that compresses, and
// must find the segments that do not.
import crypto from "node:crypto";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { SEGMENT_BYTES, gzipBlock, isIncompressible, planRuns } from "./gzip-block.mjs";

const text = (bytes: number, seed: number) => {
  const words = ["kernel ", "module ", "lib64/", "usr/share/", "0x00ff ", "config=", "\n", `${seed}`];
  let out = "";
  for (let i = 0; out.length < bytes; i++) out += words[(i * 7 + seed + (i >> 3)) % words.length];
  return Buffer.from(out.slice(0, bytes));
};

describe("isIncompressible", () => {
  it("says yes for random bytes and no for zeros and text", () => {
    expect(isIncompressible(crypto.randomBytes(SEGMENT_BYTES))).toBe(true);
    expect(isIncompressible(Buffer.alloc(SEGMENT_BYTES))).toBe(false);
    expect(isIncompressible(text(SEGMENT_BYTES, 1))).toBe(false);
  });

  it("says no when only part of the segment is random", () => {
    const segment = Buffer.concat([crypto.randomBytes((SEGMENT_BYTES * 3) / 4), text(SEGMENT_BYTES / 4, 2)]);
    expect(isIncompressible(segment)).toBe(false);
  });

  it("says no for high-entropy data that repeats (what a byte histogram alone would miss)", () => {
    const pattern = crypto.randomBytes(1024);
    const segment = Buffer.concat(Array.from({ length: SEGMENT_BYTES / 1024 }, () => pattern));
    expect(isIncompressible(segment)).toBe(false);
    expect(zlib.deflateRawSync(segment, { level: 6 }).length).toBeLessThan(SEGMENT_BYTES / 10);
  });
});

describe("gzipBlock", () => {
  // random | zeros | text | random random | text: five runs
  const segments = [
    crypto.randomBytes(SEGMENT_BYTES),
    Buffer.alloc(SEGMENT_BYTES),
    text(SEGMENT_BYTES, 3),
    crypto.randomBytes(2 * SEGMENT_BYTES),
    text(SEGMENT_BYTES + 17, 4),
  ];
  const block = Buffer.concat(segments);

  it("cuts a block into stored and compressed runs", () => {
    expect(planRuns(block).map((run) => [run.isStored, (run.end - run.start) / SEGMENT_BYTES])).toEqual([
      [true, 1],
      [false, 2],
      [true, 2],
      [false, (SEGMENT_BYTES + 17) / SEGMENT_BYTES],
    ]);
  });

  it("round-trips through gunzip and is no larger than one deflate -6 of the block", () => {
    const members = gzipBlock(block, 6);
    expect(zlib.gunzipSync(members).equals(block)).toBe(true);
    expect(members.length).toBeLessThanOrEqual(zlib.gzipSync(block, { level: 6 }).length * 1.001);
  });

  it("level 0 and small blocks stay one member", () => {
    const small = text(SEGMENT_BYTES, 5);
    expect(zlib.gunzipSync(gzipBlock(small, 6)).equals(small)).toBe(true);
    expect(gzipBlock(block, 0).length).toBeGreaterThan(block.length);
  });
});
