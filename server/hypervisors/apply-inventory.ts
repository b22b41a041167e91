// Reconciles what an agent has on disk with the database. Base files are named sha1(image id),
// so we map them back through the ids we know; files of unknown images are left alone.
import type { CachedFile } from "../../protocol/events.ts";
import { CellState } from "../../protocol/states.ts";
import type { AppContext } from "../context.ts";
import { needsConversion } from "../../protocol/disk-formats.ts";
import type { IndexedImage } from "../db/read-cache.ts";
import { toCellView } from "./hypervisor-views.ts";

export async function applyInventory(
  context: Pick<AppContext, "db" | "cache" | "events">,
  hypervisor: string,
  inventory: CachedFile[],
): Promise<void> {
  const byFileName = await context.cache.imagesByFileNames(inventory.map((file) => file.fileName));
  const present = new Map<string, CachedFile>();
  const images = new Map<string, IndexedImage>();
  for (const file of inventory) {
    const image = byFileName.get(file.fileName);
    if (!image) continue;
    present.set(image.id, file);
    images.set(image.id, image);
  }
  const existing = await context.db.hypervisorImage.findMany({ where: { hypervisorName: hypervisor } });
  const known = new Map(existing.map((row) => [row.imageId, row]));
  for (const [imageId, file] of present) {
    const row = known.get(imageId);
    // mtimes within a minute are the same "last used" (the finished download already set it).
    const isSameMtime = row?.fileMtime != null && Math.abs(row.fileMtime.getTime() - file.mtimeMs) < 60_000;
    if (row?.state === CellState.cached && Number(row.bytes) === file.bytes && isSameMtime) continue;
    const image = images.get(imageId)!;
    const size = image.size;
    const error = isExpectedSize(image, file.bytes)
      ? null
      : `size ${file.bytes} differs from image size ${size}${image.virtualSize === null ? "" : ` (raw: ${image.virtualSize})`}`;
    const data = { state: CellState.cached, bytes: BigInt(file.bytes), error, fileMtime: new Date(Math.floor(file.mtimeMs)) };
    // `row` may be stale (download:finished can land after our read): never write verified from it;
    // only a cached file that changed size loses it.
    const isChangedFile = row?.state === CellState.cached && Number(row.bytes) !== file.bytes;
    const saved = await context.db.hypervisorImage.upsert({
      where: { hypervisorName_imageId: { hypervisorName: hypervisor, imageId } },
      create: { hypervisorName: hypervisor, imageId, ...data, verified: false },
      update: isChangedFile ? { ...data, verified: false } : data,
    });
    context.events.publish("cellChanged", { hypervisor, cell: toCellView(saved, size === null ? null : Number(size)) });
  }
  for (const row of existing) {
    if (row.state !== CellState.cached || present.has(row.imageId)) continue;
    await context.db.hypervisorImage.delete({ where: { hypervisorName_imageId: { hypervisorName: hypervisor, imageId: row.imageId } } });
    context.events.publish("cellChanged", {
      hypervisor,
      cell: { imageId: row.imageId, state: CellState.absent, bytes: 0, totalBytes: null, error: null, at: Date.now() },
    });
  }
}

/** The image's own size, or its raw size when an agent converted it for nova's force_raw_images. */
function isExpectedSize(image: IndexedImage, bytes: number): boolean {
  if (image.size === null || Number(image.size) === bytes) return true;
  if (!needsConversion(image.diskFormat)) return false;
  return image.virtualSize === null || Number(image.virtualSize) === bytes;
}
