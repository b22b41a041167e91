import type { Rollout, RolloutTarget } from "../db/generated/client.ts";

export type RolloutView = {
  id: string;
  imageId: string;
  state: string;
  createdAt: string;
  finishedAt: string | null;
  counts: { pending: number; downloading: number; done: number; failed: number; cancelled: number };
  hypervisors: { name: string; state: string; bytes: number; error: string | null; attempts: number }[];
};

export function toRolloutView(rollout: Rollout & { targets: RolloutTarget[] }): RolloutView {
  const counts = { pending: 0, downloading: 0, done: 0, failed: 0, cancelled: 0 };
  for (const target of rollout.targets) counts[target.state as keyof typeof counts] += 1;
  return {
    id: rollout.id,
    imageId: rollout.imageId,
    state: rollout.state,
    createdAt: rollout.createdAt.toISOString(),
    finishedAt: rollout.finishedAt?.toISOString() ?? null,
    counts,
    hypervisors: rollout.targets
      .sort((a, b) => a.hypervisorName.localeCompare(b.hypervisorName))
      .map((target) => ({ name: target.hypervisorName, state: target.state, bytes: Number(target.bytes), error: target.error, attempts: target.attempts })),
  };
}
