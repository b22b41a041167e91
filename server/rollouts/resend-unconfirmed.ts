// After a change of leader (or a restart): claims made before this server led that no node has
// confirmed since (no progress seen) are sent again, unchanged, once. The previous leader may
// have died between claiming targets and sending their commands, or before a command left its
// process; a node whose agent reconnected said what it runs in its hello (catchUpHypervisor),
// but a node that stayed connected elsewhere says nothing. A node that has the command answers
// the repeat from what it knows, so nothing is downloaded twice.
import { RolloutState, TargetState } from "../../protocol/states.ts";
import type { AppContext } from "../context.ts";
import { type DispatchContext, resendClaims } from "./dispatch-target.ts";

/** Long enough for reconnected nodes' progress to reach the database (flushed every 5 s). */
export const CONFIRM_GRACE_MS = 10_000;

export async function resendUnconfirmed(context: DispatchContext & Pick<AppContext, "progress">, leaderSince: Date): Promise<number> {
  const targets = await context.db.rolloutTarget.findMany({
    where: {
      state: TargetState.downloading,
      startedAt: { lt: leaderSince },
      OR: [{ lastProgressAt: null }, { lastProgressAt: { lt: leaderSince } }],
      rollout: { state: RolloutState.running },
    },
    select: { rolloutId: true, hypervisorName: true, claim: true, error: true },
  });
  const silent = targets.filter(
    (target) =>
      context.progress.lastSeen(target.rolloutId, target.hypervisorName) === null && context.agents.isOnline(target.hypervisorName),
  );
  const byRollout = new Map<string, typeof silent>();
  for (const target of silent) byRollout.set(target.rolloutId, [...(byRollout.get(target.rolloutId) ?? []), target]);
  for (const [rolloutId, claims] of byRollout) {
    const rollout = await context.db.rollout.findUnique({ where: { id: rolloutId }, include: { image: { include: { artifact: true } } } });
    if (!rollout) continue;
    await resendClaims(
      context,
      rollout,
      claims.map((target) => ({ hypervisor: target.hypervisorName, claim: target.claim, lastError: target.error })),
    );
  }
  return silent.length;
}
