// Nova's image cache manager deletes unused base files whose mtime is older than a day
// (remove_unused_original_minimum_age_seconds). Pinned images get their mtime refreshed.
// Only regular files: a symlink at nova's name is not followed, so no file elsewhere is touched.
import fs from "node:fs";
import { baseFilePath } from "./download/cache-paths.ts";

export async function touchPinned(cacheDir: string, imageIds: string[], now = new Date()): Promise<string[]> {
  const touched: string[] = [];
  for (const imageId of imageIds) {
    const file = baseFilePath(cacheDir, imageId);
    const stat = await fs.promises.lstat(file).catch(() => null);
    if (!stat?.isFile()) continue; // not here (yet), or not a file of ours: nothing to keep fresh
    // lutimes never follows a symlink, even one swapped in since the lstat.
    await fs.promises.lutimes(file, now, now).then(
      () => touched.push(imageId),
      () => undefined,
    );
  }
  return touched;
}
