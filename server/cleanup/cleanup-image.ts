// POST /api/cleanup: ask agents to delete an image from their cache and report per node.
import { CellState } from "../../protocol/states.ts";
import type { ImageDeleteResult } from "../../protocol/events.ts";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";

export type CleanupResult = { name: string; ok: boolean; deleted: boolean; freedBytes: number; error: string | null };

export async function cleanupImage(
  context: Pick<AppContext, "db" | "agents" | "ui" | "log">,
  options: { imageId: string; hypervisors?: string[] },
): Promise<{ imageId: string; freedBytes: number; hypervisors: CleanupResult[] }> {
  const image = await context.db.image.findUnique({ where: { id: options.imageId } });
  if (!image) throw new AppError("IMAGE_NOT_FOUND", `no image ${options.imageId}`);
  const names =
    options.hypervisors ??
    (await context.db.hypervisorImage.findMany({ where: { imageId: image.id }, select: { hypervisorName: true } })).map((row) => row.hypervisorName);
  const results = await Promise.all(
    names.map(async (name): Promise<CleanupResult> => {
      const answer = await context.agents.send(name, "image:delete", { imageId: image.id });
      if (!answer.ok) return { name, ok: false, deleted: false, freedBytes: 0, error: `${answer.error.code}: ${answer.error.message}` };
      const data = answer.data as ImageDeleteResult;
      await context.db.hypervisorImage.deleteMany({ where: { hypervisorName: name, imageId: image.id } });
      context.ui.cellChanged(name, { imageId: image.id, state: CellState.absent, bytes: 0, totalBytes: null, error: null });
      return { name, ok: true, deleted: data.deleted, freedBytes: data.freedBytes, error: null };
    }),
  );
  const freedBytes = results.reduce((sum, result) => sum + result.freedBytes, 0);
  context.log.info({ imageId: image.id, nodes: results.length, freedBytes }, "cleanup done");
  return { imageId: image.id, freedBytes, hypervisors: results };
}
