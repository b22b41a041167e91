import { RolloutState, TargetState } from "../../protocol/states.ts";
import type { AppContext } from "../context.ts";

/** A running rollout ends when no target is pending or downloading: done, or failed if any failed. */
export async function finishRolloutIfDone(context: Pick<AppContext, "db" | "events" | "log">, rolloutId: string): Promise<void> {
  const open = await context.db.rolloutTarget.count({
    where: { rolloutId, state: { in: [TargetState.pending, TargetState.downloading] } },
  });
  if (open > 0) return;
  const failed = await context.db.rolloutTarget.count({ where: { rolloutId, state: TargetState.failed } });
  const state = failed > 0 ? RolloutState.failed : RolloutState.done;
  const { count } = await context.db.rollout.updateMany({
    where: { id: rolloutId, state: RolloutState.running },
    data: { state, finishedAt: new Date() },
  });
  if (count === 0) return;
  context.log.info({ rolloutId, state, failed }, "rollout finished");
  context.events.publish("rolloutChanged", { rolloutId, state });
}
