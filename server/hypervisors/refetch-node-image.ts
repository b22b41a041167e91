// POST /api/hypervisors/{name}/images/{imageId}/refetch: a rollout of one image to one node that
// downloads and verifies it again even where a verified copy is cached, so it shows in the history.
import type { CreatedRollout } from "../../protocol/api/rollouts.ts";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import { createRollout } from "../rollouts/create-rollout.ts";
import { requireOnlineHypervisor } from "./require-online-hypervisor.ts";

export async function refetchNodeImage(
  context: Pick<AppContext, "db" | "agents" | "events" | "log">,
  options: { hypervisor: string; imageId: string; createdBy?: string },
): Promise<CreatedRollout> {
  const image = await context.db.image.findUnique({ where: { id: options.imageId }, select: { id: true } });
  if (!image) throw new AppError("IMAGE_NOT_FOUND", `no image ${options.imageId}`);
  await requireOnlineHypervisor(context, options.hypervisor);
  return createRollout(context, {
    imageId: options.imageId,
    hypervisors: [options.hypervisor],
    refetchCached: true,
    ...(options.createdBy ? { createdBy: options.createdBy } : {}),
  });
}
