// Deterministic data shaped like a VM disk: zero runs (free space) between random blocks
// (compressed files) and repetitive text-ish blocks, so gzip -6 lands near the seed's 3:1.
import { Readable } from "node:stream";

const BLOCK = 64 * 1024;

/** `hasRandomBlocks: false` turns the random blocks into text-ish ones: an image with nothing incompressible. */
export function imageLikeStream(totalBytes: number, seed = 1, options: { hasRandomBlocks?: boolean } = {}): Readable {
  const hasRandomBlocks = options.hasRandomBlocks ?? true;
  let produced = 0;
  let state = seed >>> 0 || 1;
  const next = () => {
    // xorshift32: fast, seedable, good enough to be incompressible.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  return new Readable({
    highWaterMark: 1 << 20,
    read() {
      if (produced >= totalBytes) return this.push(null);
      const size = Math.min(BLOCK * 16, totalBytes - produced);
      const buffer = Buffer.alloc(size);
      for (let offset = 0; offset < size; offset += BLOCK) {
        const end = Math.min(offset + BLOCK, size);
        const kind = next() % 100;
        if (kind < 45) continue; // zeros
        if (kind < 72 && hasRandomBlocks) {
          for (let i = offset; i + 4 <= end; i += 4) buffer.writeUInt32LE(next(), i);
        } else {
          const words = ["kernel ", "module ", "lib64/", "usr/share/", "0x00ff ", "config=", "\n"];
          let i = offset;
          while (i < end) i += buffer.write(words[next() % words.length], i);
        }
      }
      produced += size;
      this.push(buffer);
    },
  });
}
