// Content-addressed artifact files: <artifact dir>/<image id>/<sha256>.gz. Ids are validated
// before they touch the filesystem, so no request can walk out of the artifact dir.
import path from "node:path";
import { IMAGE_ID_PATTERN } from "../../protocol/ids.ts";

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

export function isSafeImageId(id: string): boolean {
  return IMAGE_ID_PATTERN.test(id) && !id.includes("..");
}

export function artifactFile(artifactDir: string, imageId: string, sha256: string, codec = "gzip"): string {
  if (!isSafeImageId(imageId) || !SHA256_PATTERN.test(sha256)) throw new Error(`unsafe artifact name ${imageId}/${sha256}`);
  return path.join(artifactDir, imageId, `${sha256}.${codec === "gzip" ? "gz" : codec}`);
}
