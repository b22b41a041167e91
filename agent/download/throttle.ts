// A token-bucket Transform: at most `bytesPerSecond` pass through, in bursts of up to a second.
import { Transform } from "node:stream";

export function createThrottle(bytesPerSecond: number): Transform {
  let allowance = bytesPerSecond;
  let last = performance.now();
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const now = performance.now();
      allowance = Math.min(bytesPerSecond, allowance + ((now - last) / 1000) * bytesPerSecond);
      last = now;
      allowance -= chunk.length;
      const waitMs = allowance < 0 ? (-allowance / bytesPerSecond) * 1000 : 0;
      if (waitMs === 0) return done(null, chunk);
      setTimeout(() => done(null, chunk), waitMs);
    },
  });
}
