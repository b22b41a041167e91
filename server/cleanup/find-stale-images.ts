// Which cached images can go: gone or deactivated in the source, superseded by a newer image
// of the same name, or (unpinned) unused on every node for longer than the retention age.
import { CellState } from "../../protocol/states.ts";
import type { StaleImage, StaleList, StaleReason } from "../../protocol/api/cleanup.ts";
import type { AppContext } from "../context.ts";

export const DEFAULT_RETENTION_DAYS = 30;

export async function findStaleImages(
  context: Pick<AppContext, "db">,
  options: { retentionDays?: number; now?: Date } = {},
): Promise<StaleList> {
  const retentionMs = (options.retentionDays ?? DEFAULT_RETENTION_DAYS) * 86_400_000;
  const now = (options.now ?? new Date()).getTime();
  const images = await context.db.image.findMany({ include: { artifact: { select: { state: true } } } });
  const copies = await context.db.hypervisorImage.findMany({ where: { state: CellState.cached } });
  const byImage = new Map<string, typeof copies>();
  for (const copy of copies) byImage.set(copy.imageId, [...(byImage.get(copy.imageId) ?? []), copy]);
  const newestActiveByName = new Map<string, (typeof images)[number]>();
  for (const image of images) {
    if (image.status !== "active") continue;
    const current = newestActiveByName.get(image.name);
    if (!current || (image.glanceUpdatedAt ?? "") > (current.glanceUpdatedAt ?? "")) newestActiveByName.set(image.name, image);
  }
  const stale: StaleImage[] = [];
  for (const image of images) {
    const held = byImage.get(image.id) ?? [];
    if (held.length === 0 && !image.artifact) continue;
    const newest = newestActiveByName.get(image.name);
    let reason: StaleReason | null = null;
    let detail = "";
    if (image.status === "deleted") [reason, detail] = ["deleted", "no longer in the image source"];
    else if (image.status !== "active") [reason, detail] = ["deactivated", `status ${image.status} in the image source`];
    else if (newest && newest.id !== image.id) [reason, detail] = ["superseded", `newer image ${newest.id} has the same name`];
    else if (!image.pinned && held.length > 0 && held.every((copy) => copy.fileMtime && now - copy.fileMtime.getTime() > retentionMs)) {
      [reason, detail] = ["unused", `not used on any node for ${Math.round(retentionMs / 86_400_000)} days`];
    }
    if (!reason) continue;
    const perNode = held.map((copy) => ({
      name: copy.hypervisorName,
      bytes: Number(copy.bytes),
      lastUsedAt: copy.fileMtime?.toISOString() ?? null,
    }));
    stale.push({
      imageId: image.id,
      name: image.name,
      status: image.status,
      reason,
      detail,
      nodes: held.length,
      bytes: perNode.reduce((sum, node) => sum + node.bytes, 0),
      hasArtifact: image.artifact !== null,
      perNode,
    });
  }
  stale.sort((a, b) => b.bytes - a.bytes);
  return { images: stale, totalBytes: stale.reduce((sum, image) => sum + image.bytes, 0) };
}
