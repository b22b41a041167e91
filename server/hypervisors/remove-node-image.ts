// DELETE /api/hypervisors/{name}/images/{imageId}: one node's agent deletes its cached copy (refusing
// one an instance disk or a process still uses); the node's cell goes absent for every dashboard.
import type { RemoveNodeImageReply } from "../../protocol/api/hypervisors.ts";
import type { ErrorCode } from "../../protocol/errors.ts";
import { CellState } from "../../protocol/states.ts";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import { requireOnlineHypervisor } from "./require-online-hypervisor.ts";

export async function removeNodeImage(
  context: Pick<AppContext, "db" | "agents" | "events" | "log">,
  options: { hypervisor: string; imageId: string },
): Promise<RemoveNodeImageReply> {
  const { hypervisor, imageId } = options;
  const image = await context.db.image.findUnique({ where: { id: imageId }, select: { id: true, name: true, pinned: true } });
  if (!image) throw new AppError("IMAGE_NOT_FOUND", `no image ${imageId}`);
  await requireOnlineHypervisor(context, hypervisor);
  const cell = await context.db.hypervisorImage.findUnique({
    where: { hypervisorName_imageId: { hypervisorName: hypervisor, imageId } },
  });
  if (!cell) throw new AppError("NOT_FOUND", `${image.name} is not on ${hypervisor}`);
  // Pinning promises a copy on every node: removing one quietly would break it; unpinning from a node page would change the fleet.
  if (image.pinned) throw new AppError("IMAGE_PINNED", `${image.name} is pinned (kept on every node): unpin it first`);
  const answer = await context.agents.send(hypervisor, "image:delete", { imageId });
  if (!answer.ok) {
    const code: ErrorCode = answer.error.code === "OFFLINE" ? "NODE_OFFLINE" : answer.error.code;
    throw new AppError(code, answer.error.message);
  }
  // The agent's inventory report says the same for a cached copy; a pending or failed cell has no file to report.
  await context.db.hypervisorImage.deleteMany({ where: { hypervisorName: hypervisor, imageId } });
  context.events.publish("cellChanged", {
    hypervisor,
    cell: { imageId, state: CellState.absent, bytes: 0, totalBytes: null, error: null, at: Date.now() },
  });
  context.log.info({ hypervisor, imageId, freedBytes: answer.data.freedBytes }, "image removed from one node");
  return { hypervisor, imageId, deleted: answer.data.deleted, freedBytes: answer.data.freedBytes };
}
