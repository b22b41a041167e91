// Settles targets from what the node holds, so a lost result never waits for the no-progress
// timeout and an image already on a node's disk is never fetched again. The agent places a file
// under its base name only after verifying it, so "in its inventory" means verified on disk.
import { CellState, RolloutState, TargetState } from "../../protocol/states.ts";
import type { AppContext } from "../context.ts";
import { finishRolloutIfDone } from "./finish-rollout.ts";
import { setCell } from "./set-cell.ts";

type SettleContext = Pick<AppContext, "db" | "events" | "log">;

/** The node has the image: its open target is done and its cell verified. */
export async function markOnDisk(
  context: SettleContext,
  rolloutId: string,
  hypervisor: string,
  image: { id: string; size: bigint | null },
): Promise<void> {
  const { count } = await context.db.rolloutTarget.updateMany({
    where: { rolloutId, hypervisorName: hypervisor, state: { in: [TargetState.pending, TargetState.downloading] } },
    data: { state: TargetState.done, bytes: image.size ?? 0n, error: null, finishedAt: new Date() },
  });
  await setCell(
    context,
    hypervisor,
    image.id,
    { state: CellState.cached, bytes: image.size ?? 0n, verified: true, error: null },
    image.size === null ? null : Number(image.size),
  );
  if (count > 0) {
    context.log.info({ hypervisor, rolloutId, imageId: image.id }, "image already on the node's disk: target done");
    await finishRolloutIfDone(context, rolloutId);
  }
}

/** Of `hypervisors`, those whose last inventory holds the image (cached, expected size). */
export async function holdersOf(context: Pick<AppContext, "db">, imageId: string, hypervisors: string[]): Promise<Set<string>> {
  if (hypervisors.length === 0) return new Set();
  const cells = await context.db.hypervisorImage.findMany({
    where: { imageId, hypervisorName: { in: hypervisors }, state: CellState.cached, error: null },
    select: { hypervisorName: true },
  });
  return new Set(cells.map((cell) => cell.hypervisorName));
}

/**
 * Downloading targets on online nodes with no progress for `staleMs` whose node reports the file:
 * their result was lost (or is still being re-sent), the image is there, so they are done.
 * Returns how many were settled.
 */
export async function reconcileStaleTargets(
  context: SettleContext & Pick<AppContext, "agents" | "progress">,
  staleMs: number,
): Promise<number> {
  const cutoff = new Date(Date.now() - staleMs);
  const stale = await context.db.rolloutTarget.findMany({
    where: {
      state: TargetState.downloading,
      rollout: { state: { in: [RolloutState.running, RolloutState.paused] } },
      OR: [{ lastProgressAt: { lt: cutoff } }, { lastProgressAt: null, startedAt: { lt: cutoff } }],
    },
    select: { rolloutId: true, hypervisorName: true, rollout: { select: { image: { select: { id: true, size: true } } } } },
  });
  const candidates = stale.filter(
    (target) =>
      context.agents.isOnline(target.hypervisorName) &&
      (context.progress.lastSeen(target.rolloutId, target.hypervisorName)?.getTime() ?? 0) < cutoff.getTime(),
  );
  const byImage = new Map<string, typeof candidates>();
  for (const target of candidates) byImage.set(target.rollout.image.id, [...(byImage.get(target.rollout.image.id) ?? []), target]);
  let settled = 0;
  for (const [imageId, targets] of byImage) {
    const holders = await holdersOf(
      context,
      imageId,
      targets.map((target) => target.hypervisorName),
    );
    for (const target of targets.filter((t) => holders.has(t.hypervisorName))) {
      await markOnDisk(context, target.rolloutId, target.hypervisorName, target.rollout.image);
      settled += 1;
    }
  }
  return settled;
}
