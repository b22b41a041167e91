// A token bucket that paces reads of the response body: the agent pulls the next chunk from the
// socket only when the bucket allows, so the tail of a throttled transfer is not read early and
// left waiting in buffers while the origin or Squid times the idle connection out.

export type Pacer = { /** How long to wait before pulling more, having just received `bytes`. */ take(bytes: number): number };

/** At most `bytesPerSecond` on average, in bursts of up to `burstSeconds`. */
export function createPacer(bytesPerSecond: number, burstSeconds = 0.25, now: () => number = () => performance.now()): Pacer {
  const capacity = bytesPerSecond * burstSeconds;
  let allowance = capacity;
  let last = now();
  return {
    take(bytes) {
      const at = now();
      allowance = Math.min(capacity, allowance + ((at - last) / 1000) * bytesPerSecond);
      last = at;
      allowance -= bytes;
      return allowance < 0 ? (-allowance / bytesPerSecond) * 1000 : 0;
    },
  };
}
