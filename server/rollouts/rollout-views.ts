// Database rows → the rollout shapes of the contract (protocol/api/rollouts.ts).
import type { RolloutCounts, RolloutView } from "../../protocol/api/rollouts.ts";
import type { RolloutState, TargetState } from "../../protocol/states.ts";
import type { Rollout, RolloutTarget } from "../db/generated/client.ts";

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
    state: rollout.state as RolloutState,
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
    state: target.state as TargetState,
    bytes: Number(target.bytes),
    error: target.error,
    attempts: target.attempts,
    proxy: target.proxy,
    source: target.source,
  };
}
