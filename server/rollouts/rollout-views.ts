import type { Rollout, RolloutTarget } from "../db/generated/client.ts";

export type RolloutCounts = { pending: number; downloading: number; done: number; failed: number; cancelled: number };
export type RolloutView = {
  id: string;
  imageId: string;
  state: string;
  strategy: string;
  /** "squid" or "peers" (the peer tier). */
  source: string;
  /** Compressed bytes nodes got from peers: what the Squids did not have to send. */
  bytesFromPeers: number;
  /** Peers that served bytes that failed verification: no longer chosen in this rollout. */
  excludedPeers: string[];
  perProxyConcurrency: number;
  createdAt: string;
  finishedAt: string | null;
  counts: RolloutCounts;
  /** Decompressed bytes written on hypervisors so far. */
  bytesDelivered: number;
  perProxy: { proxy: string; downloading: number; done: number; failed: number }[];
  hypervisors: {
    name: string;
    state: string;
    bytes: number;
    error: string | null;
    attempts: number;
    proxy: string | null;
    /** Where its last attempt was sent first: "squid" or "peer:<hypervisor>". */
    source: string | null;
  }[];
};

export function toRolloutView(rollout: Rollout & { targets: RolloutTarget[] }): RolloutView {
  const counts: RolloutCounts = { pending: 0, downloading: 0, done: 0, failed: 0, cancelled: 0 };
  const perProxy = new Map<string, { proxy: string; downloading: number; done: number; failed: number }>();
  let bytesDelivered = 0;
  let bytesFromPeers = 0;
  for (const target of rollout.targets) {
    counts[target.state as keyof RolloutCounts] += 1;
    bytesDelivered += Number(target.bytes);
    bytesFromPeers += Number(target.peerBytes);
    if (!target.proxy || target.attempts === 0) continue;
    const load = perProxy.get(target.proxy) ?? { proxy: target.proxy, downloading: 0, done: 0, failed: 0 };
    if (target.state === "downloading" || target.state === "done" || target.state === "failed") load[target.state] += 1;
    perProxy.set(target.proxy, load);
  }
  return {
    id: rollout.id,
    imageId: rollout.imageId,
    state: rollout.state,
    strategy: rollout.strategy,
    source: rollout.source,
    bytesFromPeers,
    excludedPeers: rollout.excludedPeers,
    perProxyConcurrency: rollout.perProxyConcurrency,
    createdAt: rollout.createdAt.toISOString(),
    finishedAt: rollout.finishedAt?.toISOString() ?? null,
    counts,
    bytesDelivered,
    perProxy: [...perProxy.values()].sort((a, b) => a.proxy.localeCompare(b.proxy)),
    hypervisors: rollout.targets
      .sort((a, b) => a.hypervisorName.localeCompare(b.hypervisorName))
      .map((target) => ({
        name: target.hypervisorName,
        state: target.state,
        bytes: Number(target.bytes),
        error: target.error,
        attempts: target.attempts,
        proxy: target.proxy,
        source: target.source,
      })),
  };
}
