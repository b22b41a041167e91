// One block of a parallel gzip stream, compressed synchronously inside a gzip worker thread
// (gzip-worker.mjs). Plain JavaScript so worker threads load it under tsx, vitest and Node alike.
//
// Incompressible stretches are stored instead of deflated. Disk images hold many compressed
// files (packages, initramfs, media); deflate -6 spends as much CPU on such data as on text
// (≈ 11 ms per MiB here) and gains nothing: zlib ends up writing stored blocks anyway. Each
// SEGMENT is probed first: samples spread across it are checked for byte entropy (cheap, in
// JavaScript) and, when that is high, confirmed with a level-1 trial deflate (which also catches
// repeats that entropy misses). Consecutive segments of one kind become one gzip member, so the
// output stays one plain multi-member gzip stream (RFC 1952 §2.2).
import zlib from "node:zlib";

export const SEGMENT_BYTES = 64 * 1024;
const SAMPLES = 4;
const SAMPLE_BYTES = 2 * 1024;
/** Bits per byte below which a sample is surely compressible (random bytes: ≈ 7.97 over 8 KiB). */
const MIN_ENTROPY = 7.5;
/** A sample keeping more than this share of its size under level-1 deflate is incompressible. */
const INCOMPRESSIBLE_SHARE = 0.97;

const histogram = new Uint32Array(256);

/**
 * gzip member(s) for `block`: any gunzip reads them back as exactly `block`.
 * @param {Buffer} block
 * @param {number} level
 * @returns {Buffer}
 */
export function gzipBlock(block, level) {
  const runs = level === 0 || block.length < 2 * SEGMENT_BYTES ? [{ start: 0, end: block.length, isStored: false }] : planRuns(block);
  const members = runs.map((run) =>
    zlib.gzipSync(block.subarray(run.start, run.end), {
      level: run.isStored ? 0 : level,
      memLevel: 9,
      // Sized to the run: an oversized output buffer per 64 KiB run is mostly allocation.
      chunkSize: Math.min(1 << 20, Math.max(64 * 1024, run.end - run.start + 1024)),
    }),
  );
  return members.length === 1 ? members[0] : Buffer.concat(members);
}

/**
 * The block cut into runs of compressible and incompressible (to be stored) segments.
 * @param {Buffer} block
 * @returns {{ start: number, end: number, isStored: boolean }[]}
 */
export function planRuns(block) {
  /** @type {{ start: number, end: number, isStored: boolean }[]} */
  const runs = [];
  for (let start = 0; start < block.length; start += SEGMENT_BYTES) {
    const end = Math.min(start + SEGMENT_BYTES, block.length);
    const isStored = isIncompressible(block.subarray(start, end));
    const last = runs.at(-1);
    if (last && last.isStored === isStored) last.end = end;
    else runs.push({ start, end, isStored });
  }
  return runs;
}

/**
 * True when samples spread over the segment do not shrink: one compressible sample is enough to say no.
 * @param {Buffer} segment
 */
export function isIncompressible(segment) {
  if (segment.length < SAMPLES * SAMPLE_BYTES) return false;
  const stride = Math.floor(segment.length / SAMPLES);
  const sample = Buffer.allocUnsafe(SAMPLES * SAMPLE_BYTES);
  for (let i = 0; i < SAMPLES; i++) segment.copy(sample, i * SAMPLE_BYTES, i * stride, i * stride + SAMPLE_BYTES);
  if (entropy(sample) < MIN_ENTROPY) return false;
  return zlib.deflateRawSync(sample, { level: 1 }).length > sample.length * INCOMPRESSIBLE_SHARE;
}

/** @param {Buffer} bytes Shannon entropy in bits per byte. */
function entropy(bytes) {
  histogram.fill(0);
  for (let i = 0; i < bytes.length; i++) histogram[bytes[i]] += 1;
  let bits = 0;
  for (const count of histogram) {
    if (count === 0) continue;
    const p = count / bytes.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}
