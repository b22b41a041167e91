// Database rows → the rollout shapes of the contract (protocol/api/rollouts.ts).
import type { ProxyLoad, RolloutCounts, RolloutView } from "../../protocol/api/rollouts.ts";
import type { RolloutState, TargetState } from "../../protocol/states.ts";
import type { Rollout, RolloutTarget } from "../db/generated/client.ts";

export function toRolloutView(rollout: Rollout & { targets: RolloutTarget[] }): RolloutView {
  const counts: RolloutCounts = { pending: 0, downloading: 0, done: 0, failed: 0, cancelled: 0 };
  const perProxy = new Map<string, ProxyLoad>();
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
    state: rollout.state as RolloutState,
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
        state: target.state as TargetState,
        bytes: Number(target.bytes),
        error: target.error,
        attempts: target.attempts,
        proxy: target.proxy,
        source: target.source,
      })),
  };
}
