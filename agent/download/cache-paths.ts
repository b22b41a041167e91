// Where nova looks for a base image: <cache dir>/<sha1(image id)>, and our temp name beside it.
import path from "node:path";
import { baseFileName } from "../../protocol/nova-files.ts";

export const PART_SUFFIX = ".part";

export function baseFilePath(cacheDir: string, imageId: string): string {
  return path.join(cacheDir, baseFileName(imageId));
}

export function partFilePath(cacheDir: string, imageId: string): string {
  return baseFilePath(cacheDir, imageId) + PART_SUFFIX;
}
