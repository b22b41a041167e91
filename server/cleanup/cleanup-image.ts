// POST /api/cleanup: agents delete an image from their cache (refusing copies still in use),
// and, when asked or when the image is stale, its artifact leaves the origin and the Squids.
import { CellState } from "../../protocol/states.ts";
import type { CleanupReply, CleanupRequest, NodeCleanup } from "../../protocol/api/cleanup.ts";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import { removeArtifact } from "./remove-artifact.ts";

export async function cleanupImage(
  context: Pick<AppContext, "db" | "agents" | "events" | "log" | "env" | "publicUrl">,
  options: CleanupRequest,
): Promise<CleanupReply> {
  const image = await context.db.image.findUnique({ where: { id: options.imageId } });
  if (!image) throw new AppError("IMAGE_NOT_FOUND", `no image ${options.imageId}`);
  const names =
    options.hypervisors ??
    (await context.db.hypervisorImage.findMany({ where: { imageId: image.id }, select: { hypervisorName: true } })).map(
      (row) => row.hypervisorName,
    );
  const results = await Promise.all(
    names.map(async (name): Promise<NodeCleanup> => {
      const answer = await context.agents.send(name, "image:delete", { imageId: image.id });
      if (!answer.ok) return { name, ok: false, deleted: false, freedBytes: 0, error: `${answer.error.code}: ${answer.error.message}` };
      const data = answer.data;
      await context.db.hypervisorImage.deleteMany({ where: { hypervisorName: name, imageId: image.id } });
      context.events.publish("cellChanged", {
        hypervisor: name,
        cell: { imageId: image.id, state: CellState.absent, bytes: 0, totalBytes: null, error: null, at: Date.now() },
      });
      return { name, ok: true, deleted: data.deleted, freedBytes: data.freedBytes, error: null };
    }),
  );
  const freedBytes = results.reduce((sum, result) => sum + result.freedBytes, 0);
  const isStale = image.status !== "active";
  const artifact =
    (options.removeArtifact ?? isStale)
      ? await removeArtifact(context, image.id, { purge: options.purgeProxies ?? true })
      : { removed: false, purges: [] };
  context.log.info(
    {
      imageId: image.id,
      nodes: results.length,
      refused: results.filter((r) => !r.ok).length,
      freedBytes,
      artifactRemoved: artifact.removed,
    },
    "cleanup done",
  );
  return { imageId: image.id, freedBytes, hypervisors: results, artifact };
}
