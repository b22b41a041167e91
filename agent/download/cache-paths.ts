// Where nova looks for a base image: <cache dir>/<sha1(image id)>, and our temp name beside it.
import crypto from "node:crypto";
import path from "node:path";

export const BASE_FILE_PATTERN = /^[0-9a-f]{40}$/;
export const PART_SUFFIX = ".part";

export function baseFileName(imageId: string): string {
  return crypto.createHash("sha1").update(imageId, "utf8").digest("hex");
}

export function baseFilePath(cacheDir: string, imageId: string): string {
  return path.join(cacheDir, baseFileName(imageId));
}

export function partFilePath(cacheDir: string, imageId: string): string {
  return baseFilePath(cacheDir, imageId) + PART_SUFFIX;
}
