import { describe, expect, it } from "vitest";
import { createPacer } from "./throttle.ts";

/** Reads `total` bytes in `chunk`-sized reads, waiting as the pacer says; returns the elapsed ms. */
function paceRead(bytesPerSecond: number, total: number, chunk: number, burstSeconds?: number) {
  let now = 0;
  const pacer = createPacer(bytesPerSecond, burstSeconds, () => now);
  let waits = 0;
  for (let read = 0; read < total; read += chunk) {
    const wait = pacer.take(chunk);
    if (wait > 0) waits += 1;
    now += wait;
  }
  return { elapsedMs: now, waits };
}

describe("download throttle (read pacer)", () => {
  it("holds a long transfer to the configured average, whatever the chunk size", () => {
    for (const chunk of [16 * 1024, 64 * 1024, 1024 * 1024]) {
      // 100 MiB at 10 MiB/s: 10 s, less the first burst (a quarter-second's worth) read at once.
      const { elapsedMs } = paceRead(10 * 2 ** 20, 100 * 2 ** 20, chunk);
      expect(elapsedMs).toBeGreaterThan(9_700);
      expect(elapsedMs).toBeLessThan(10_000);
    }
  });

  it("lets the first burst through without waiting, then waits", () => {
    const { elapsedMs, waits } = paceRead(1_000_000, 250_000, 50_000);
    expect(elapsedMs).toBe(0);
    expect(waits).toBe(0);
    expect(paceRead(1_000_000, 300_000, 50_000)).toEqual({ elapsedMs: 50, waits: 1 });
  });

  it("does not bank idle time beyond the burst: after a pause the rate holds again", () => {
    let now = 0;
    const pacer = createPacer(1_000_000, 0.25, () => now);
    now = 60_000; // a minute idle earns a quarter-second burst, not a minute's worth
    expect(pacer.take(250_000)).toBe(0);
    expect(pacer.take(500_000)).toBe(500);
  });

  it("asks a chunk bigger than the burst to wait for what exceeds it", () => {
    const pacer = createPacer(1_000_000, 0.25, () => 0);
    expect(pacer.take(1_250_000)).toBe(1_000);
  });
});
