// What is in the cache dir: nova base files (sha1 names), and leftover .part files to clear.
// Never follows a symlink: one planted in the cache dir is neither reported nor touched.
import fs from "node:fs";
import path from "node:path";
import type { CachedFile } from "../protocol/events.ts";
import { PART_SUFFIX } from "./download/cache-paths.ts";
import { BASE_FILE_PATTERN } from "../protocol/nova-files.ts";
import { CONVERT_DIR_PREFIX, CONVERTED_SUFFIX } from "./download/convert-to-raw.ts";

export async function scanCache(cacheDir: string): Promise<CachedFile[]> {
  const entries = await fs.promises.readdir(cacheDir, { withFileTypes: true }).catch(() => []);
  const files: CachedFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !BASE_FILE_PATTERN.test(entry.name)) continue;
    const stat = await fs.promises.lstat(path.join(cacheDir, entry.name)).catch(() => null);
    if (stat?.isFile()) files.push({ fileName: entry.name, bytes: stat.size, mtimeMs: stat.mtimeMs });
  }
  return files;
}

/**
 * A .part (or half-converted .converted, or a private conversion dir) is a download that died
 * with its process: nova must never see it, and we restart it. Removing never follows a symlink.
 */
export async function removeStaleParts(cacheDir: string): Promise<string[]> {
  const entries = await fs.promises.readdir(cacheDir).catch(() => [] as string[]);
  const isLeftover = (name: string, suffix: string) => name.endsWith(suffix) && BASE_FILE_PATTERN.test(name.slice(0, -suffix.length));
  const removed = entries.filter(
    (name) => isLeftover(name, PART_SUFFIX) || isLeftover(name, CONVERTED_SUFFIX) || name.startsWith(CONVERT_DIR_PREFIX),
  );
  await Promise.all(
    removed.map((name) => fs.promises.rm(path.join(cacheDir, name), { force: true, recursive: name.startsWith(CONVERT_DIR_PREFIX) })),
  );
  return removed;
}
