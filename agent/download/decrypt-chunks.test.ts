import crypto from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { HEADER_BYTES, TAG_BYTES, chunkBoundaryAtOrBefore, chunkOffset, sealedSize } from "../../protocol/sealed-stream.ts";
import { createSealingStream, newArtifactKey } from "../../server/publish/encrypt-artifact.ts";
import { createOpeningStream, type OpenOptions } from "./decrypt-chunks.ts";

const CHUNK = 1024;

/** Feeds `data` in uneven pieces, as a socket would. */
function pieces(data: Buffer, size = 777): Readable {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) parts.push(data.subarray(at, at + size));
  return Readable.from(parts);
}

async function seal(plain: Buffer, key: Buffer, chunkBytes = CHUNK): Promise<Buffer> {
  return buffer(pieces(plain).pipe(createSealingStream({ key, chunkBytes })));
}

async function open(sealed: Buffer, options: OpenOptions): Promise<Buffer> {
  return buffer(pieces(sealed, 501).pipe(createOpeningStream(options)));
}

describe("sealed stream (STREAM over AES-256-GCM)", () => {
  const key = newArtifactKey();

  it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 5 * CHUNK + 17, 300_000])("round-trips %i bytes", async (size) => {
    const plain = crypto.randomBytes(size);
    const sealed = await seal(plain, key);
    expect(sealed.length).toBe(sealedSize(size, CHUNK));
    if (size >= 16) expect(sealed.includes(plain.subarray(0, 16))).toBe(false); // no plaintext shows through
    expect((await open(sealed, { key })).equals(plain)).toBe(true);
  });

  it("uses a fresh nonce prefix per artifact: the same plaintext seals differently", async () => {
    const plain = crypto.randomBytes(4000);
    expect((await seal(plain, key)).equals(await seal(plain, key))).toBe(false);
  });

  const plain = crypto.randomBytes(4 * CHUNK + 100);
  const stride = CHUNK + TAG_BYTES;
  const tampered: [string, (sealed: Buffer) => Buffer][] = [
    ["a flipped ciphertext byte", (s) => flip(s, chunkOffset(2, CHUNK) + 5)],
    ["a flipped tag byte", (s) => flip(s, chunkOffset(1, CHUNK) + stride - 1)],
    ["a flipped header byte (chunk size)", (s) => flip(s, HEADER_BYTES - 8)],
    ["a flipped nonce prefix byte", (s) => flip(s, HEADER_BYTES - 1)],
    ["a tail cut mid-chunk", (s) => s.subarray(0, s.length - 40)],
    ["a tail cut at a chunk boundary (final chunk dropped)", (s) => s.subarray(0, chunkOffset(4, CHUNK))],
    ["only the header", (s) => s.subarray(0, HEADER_BYTES)],
    ["half a header", (s) => s.subarray(0, 7)],
    ["two chunks swapped", (s) => swap(s, 1, 2)],
    ["a chunk dropped", (s) => Buffer.concat([s.subarray(0, chunkOffset(1, CHUNK)), s.subarray(chunkOffset(2, CHUNK))])],
    ["a chunk repeated", (s) => Buffer.concat([s.subarray(0, chunkOffset(2, CHUNK)), s.subarray(chunkOffset(1, CHUNK))])],
    ["bytes appended after the final chunk", (s) => Buffer.concat([s, crypto.randomBytes(40)])],
  ];
  it.each(tampered)("detects %s", async (_name, change) => {
    const sealed = await seal(plain, key);
    await expect(open(change(sealed), { key })).rejects.toMatchObject({ code: "DECRYPT_FAILED" });
  });

  it("refuses the wrong key", async () => {
    const sealed = await seal(plain, key);
    await expect(open(sealed, { key: newArtifactKey() })).rejects.toMatchObject({ code: "DECRYPT_FAILED" });
  });

  it("releases nothing of a chunk that fails: output stops at the last good chunk", async () => {
    const sealed = flip(await seal(plain, key), chunkOffset(2, CHUNK) + 5);
    const received: Buffer[] = [];
    const opening = createOpeningStream({ key });
    opening.on("data", (chunk: Buffer) => received.push(chunk));
    await new Promise<void>((resolve) => {
      opening.on("error", () => resolve());
      opening.end(sealed);
    });
    const got = Buffer.concat(received);
    expect(got.length).toBeLessThanOrEqual(2 * CHUNK);
    expect(got.equals(plain.subarray(0, got.length))).toBe(true);
  });

  it.each([1, 2, 4])("resumes from chunk %i with the header read earlier", async (k) => {
    const sealed = await seal(plain, key);
    const tail = sealed.subarray(chunkOffset(k, CHUNK));
    const rest = await open(tail, { key, resumeAt: { header: sealed.subarray(0, HEADER_BYTES), chunk: k } });
    expect(rest.equals(plain.subarray(k * CHUNK))).toBe(true);
    // Starting at chunk k with the wrong index is a reorder, and is caught.
    await expect(open(tail, { key, resumeAt: { header: sealed.subarray(0, HEADER_BYTES), chunk: k - 1 } })).rejects.toMatchObject({
      code: "DECRYPT_FAILED",
    });
  });

  it("finds the chunk boundary a resumed request starts from", () => {
    expect(chunkBoundaryAtOrBefore(0, CHUNK)).toBe(0);
    expect(chunkBoundaryAtOrBefore(HEADER_BYTES - 1, CHUNK)).toBe(0);
    expect(chunkBoundaryAtOrBefore(HEADER_BYTES, CHUNK)).toBe(HEADER_BYTES);
    expect(chunkBoundaryAtOrBefore(chunkOffset(3, CHUNK) + 10, CHUNK)).toBe(chunkOffset(3, CHUNK));
    expect(chunkBoundaryAtOrBefore(chunkOffset(3, CHUNK), CHUNK)).toBe(chunkOffset(3, CHUNK));
  });
});

function flip(data: Buffer, at: number): Buffer {
  const copy = Buffer.from(data);
  copy[at] ^= 0x01;
  return copy;
}

function swap(data: Buffer, a: number, b: number): Buffer {
  const copy = Buffer.from(data);
  const stride = CHUNK + TAG_BYTES;
  data.copy(copy, chunkOffset(a, CHUNK), chunkOffset(b, CHUNK), chunkOffset(b, CHUNK) + stride);
  data.copy(copy, chunkOffset(b, CHUNK), chunkOffset(a, CHUNK), chunkOffset(a, CHUNK) + stride);
  return copy;
}
