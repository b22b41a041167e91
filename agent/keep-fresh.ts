// Nova's image cache manager deletes unused base files whose mtime is older than a day
// (remove_unused_original_minimum_age_seconds). Pinned images get their mtime refreshed.
import fs from "node:fs";
import { baseFilePath } from "./download/cache-paths.ts";

export async function touchPinned(cacheDir: string, imageIds: string[], now = new Date()): Promise<string[]> {
  const touched: string[] = [];
  for (const imageId of imageIds) {
    const file = baseFilePath(cacheDir, imageId);
    try {
      await fs.promises.utimes(file, now, now);
      touched.push(imageId);
    } catch {
      // not here (yet): nothing to keep fresh
    }
  }
  return touched;
}
