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

/** The view from the rollout's row and its aggregated targets (see rollout-reads.ts). */
export function toRolloutView(
  rollout: Rollout,
  totals: { counts: RolloutCounts; bytesDelivered: number; bytesFromPeers: number },
  perProxy: RolloutView["perProxy"],
  targets: RolloutTarget[],
): RolloutView {
  return {
    id: rollout.id,
    imageId: rollout.imageId,
    state: rollout.state,
    strategy: rollout.strategy,
    source: rollout.source,
    bytesFromPeers: totals.bytesFromPeers,
    excludedPeers: rollout.excludedPeers,
    perProxyConcurrency: rollout.perProxyConcurrency,
    createdAt: rollout.createdAt.toISOString(),
    finishedAt: rollout.finishedAt?.toISOString() ?? null,
    counts: totals.counts,
    bytesDelivered: totals.bytesDelivered,
    perProxy,
    hypervisors: targets.sort((a, b) => a.hypervisorName.localeCompare(b.hypervisorName)).map(toTargetRow),
  };
}

export function toTargetRow(target: RolloutTarget): RolloutView["hypervisors"][number] {
  return {
    name: target.hypervisorName,
    state: target.state,
    bytes: Number(target.bytes),
    error: target.error,
    attempts: target.attempts,
    proxy: target.proxy,
    source: target.source,
  };
}
