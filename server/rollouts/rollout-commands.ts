// Reading, cancelling, and catching up rollouts.
import { CellState, RolloutState, TargetState } from "../../protocol/states.ts";
import type { AgentHello } from "../../protocol/events.ts";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import { baseFileName } from "../../agent/download/cache-paths.ts";
import { dispatchTarget } from "./dispatch-target.ts";
import { finishRolloutIfDone } from "./finish-rollout.ts";
import { setCell } from "./set-cell.ts";
import { toRolloutView, type RolloutView } from "./rollout-views.ts";

export async function getRollout(context: Pick<AppContext, "db">, id: string): Promise<RolloutView> {
  const rollout = await context.db.rollout.findUnique({ where: { id }, include: { targets: true } });
  if (!rollout) throw new AppError("NOT_FOUND", `no rollout ${id}`);
  return toRolloutView(rollout);
}

export async function listRollouts(context: Pick<AppContext, "db">, limit = 50): Promise<Omit<RolloutView, "hypervisors">[]> {
  const rollouts = await context.db.rollout.findMany({ include: { targets: true }, orderBy: { createdAt: "desc" }, take: limit });
  return rollouts.map((rollout) => {
    const { hypervisors: _omit, ...rest } = toRolloutView(rollout);
    return rest;
  });
}

export async function cancelRollout(context: Pick<AppContext, "db" | "ui" | "log">, id: string): Promise<RolloutView> {
  const rollout = await context.db.rollout.findUnique({ where: { id } });
  if (!rollout) throw new AppError("NOT_FOUND", `no rollout ${id}`);
  if (rollout.state !== RolloutState.running) throw new AppError("ROLLOUT_FINISHED", `rollout ${id} is already ${rollout.state}`);
  await context.db.$transaction([
    context.db.rolloutTarget.updateMany({ where: { rolloutId: id, state: TargetState.pending }, data: { state: TargetState.cancelled, finishedAt: new Date() } }),
    context.db.rollout.update({ where: { id }, data: { state: RolloutState.cancelled, finishedAt: new Date() } }),
  ]);
  const cancelledCells = await context.db.hypervisorImage.findMany({ where: { imageId: rollout.imageId, state: CellState.pending } });
  for (const cell of cancelledCells) {
    await context.db.hypervisorImage.delete({ where: { hypervisorName_imageId: { hypervisorName: cell.hypervisorName, imageId: cell.imageId } } });
    context.ui.cellChanged(cell.hypervisorName, { imageId: cell.imageId, state: CellState.absent, bytes: 0, totalBytes: null, error: null });
  }
  context.ui.rolloutChanged(id, RolloutState.cancelled);
  context.log.info({ rolloutId: id }, "rollout cancelled");
  return getRollout(context, id);
}

/**
 * After a hello: settle this hypervisor's open targets against what the agent says it has and
 * is doing. Present on disk → done; in flight → leave; otherwise → (re)send the command.
 */
export async function catchUpHypervisor(
  context: Pick<AppContext, "db" | "ui" | "log" | "agents" | "publicUrl">,
  hello: Pick<AgentHello, "name" | "inventory" | "active">,
): Promise<void> {
  const open = await context.db.rolloutTarget.findMany({
    where: { hypervisorName: hello.name, state: { in: [TargetState.pending, TargetState.downloading] }, rollout: { state: RolloutState.running } },
    include: { rollout: { include: { image: true } } },
  });
  const files = new Set(hello.inventory.map((file) => file.fileName));
  const active = new Set(hello.active.map((download) => `${download.rolloutId}|${download.imageId}`));
  for (const target of open) {
    const { image } = target.rollout;
    if (active.has(`${target.rolloutId}|${image.id}`)) continue;
    if (files.has(baseFileName(image.id))) {
      const size = image.size === null ? null : Number(image.size);
      await context.db.rolloutTarget.update({
        where: { rolloutId_hypervisorName: { rolloutId: target.rolloutId, hypervisorName: hello.name } },
        data: { state: TargetState.done, bytes: image.size ?? 0n, finishedAt: new Date() },
      });
      await setCell(context, hello.name, image.id, { state: CellState.cached, bytes: image.size ?? 0n, verified: true, error: null }, size);
      await finishRolloutIfDone(context, target.rolloutId);
      continue;
    }
    await dispatchTarget(context, target.rolloutId, hello.name);
  }
}
