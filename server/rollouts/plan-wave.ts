// The rollout policy, without a database: which open targets a scheduler pass gives up on,
// which may be sent now, and how each download is paced. The scheduler reads what these need,
// calls them, and writes what they decide (rollout-scheduler.ts).
//
// Waves: each proxy first gets ONE download, its warm-up (the Squid fetches the artifact once
// from the origin), and only once a download through it has finished (it is "warm") up to
// `perProxyConcurrency` at a time. Jitter: no per-proxy limit; every node waits a random delay
// of up to `jitterMs` before it starts, so the Squids see the requests spread out.
import { TargetState } from "../../protocol/states.ts";

/** The part of a rollout its policy is made of. */
export type WavePolicy = {
  strategy: string;
  perProxyConcurrency: number;
  jitterMs: number;
  bandwidthBytesPerSecond: bigint | null;
};

/** A node that may be sent its command, with the proxy its download goes through first. */
export type WaveCandidate = { hypervisor: string; proxy: string; lastError: string | null };

/** Per proxy: whether a download through it has finished, and how many are running. */
export type ProxyLoad = { warm: ReadonlySet<string>; downloading: ReadonlyMap<string, number> };

/** How an agent paces one download: a random start delay of up to `jitterMs`, a rate cap. */
export type DownloadPacing = { jitterMs: number; bandwidthBytesPerSecond: number | null };

/**
 * The candidates to send now, in the order given: per proxy, as many as its limit leaves room for
 * beside those already downloading through it (1 while cold, `perProxyConcurrency` once warm,
 * unlimited with jitter).
 */
export function planWave(policy: WavePolicy, candidates: readonly WaveCandidate[], load: ProxyLoad): WaveCandidate[] {
  const running = new Map(load.downloading);
  const wave: WaveCandidate[] = [];
  for (const candidate of candidates) {
    const limit = policy.strategy === "jitter" ? Infinity : load.warm.has(candidate.proxy) ? policy.perProxyConcurrency : 1;
    const busy = running.get(candidate.proxy) ?? 0;
    if (busy >= limit) continue;
    running.set(candidate.proxy, busy + 1);
    wave.push(candidate);
  }
  return wave;
}

/** Jitter applies to jitter rollouts only; the bandwidth cap (if any) to every download. */
export function downloadPacing(policy: WavePolicy): DownloadPacing {
  return {
    jitterMs: policy.strategy === "jitter" ? policy.jitterMs : 0,
    bandwidthBytesPerSecond: policy.bandwidthBytesPerSecond === null ? null : Number(policy.bandwidthBytesPerSecond),
  };
}

/**
 * A download silent for longer than the node timeout has stalled. `lastSeen` is its latest sign
 * of life (unflushed progress, stored progress, or its start); none at all counts as just now.
 */
export function hasStalled(lastSeen: Date | null, now: number, timeoutMs: number): boolean {
  return now - (lastSeen?.getTime() ?? now) > timeoutMs;
}

/** A pending target may be sent once its retry backoff is over and its node is connected. */
export function isDue(target: { state: string; nextAttemptAt: Date | null }, now: number, isOnline: boolean): boolean {
  return target.state === TargetState.pending && (!target.nextAttemptAt || target.nextAttemptAt.getTime() <= now) && isOnline;
}
