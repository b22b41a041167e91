// Content-addressed artifact files: <artifact dir>/<image id>/<sha256>.gz. Ids are validated
// before they touch the filesystem, so no request can walk out of the artifact dir.
import path from "node:path";
import { IMAGE_ID_PATTERN } from "../../protocol/ids.ts";
import { SEALED_EXTENSION } from "../../protocol/sealed-stream.ts";

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

export function isSafeImageId(id: string): boolean {
  return IMAGE_ID_PATTERN.test(id) && !id.includes("..");
}

export function artifactFile(artifactDir: string, imageId: string, sha256: string, codec = "gzip"): string {
  if (!isSafeImageId(imageId) || !SHA256_PATTERN.test(sha256)) throw new Error(`unsafe artifact name ${imageId}/${sha256}`);
  return path.join(artifactDir, imageId, `${sha256}.${codec === "gzip" ? "gz" : codec}`);
}

/**
 * Sealed artifacts sit apart from the per-image dirs, named by the ciphertext's sha256 alone, so
 * neither the URL nor the file name says which image they hold. `_` cannot start an image id, so
 * no image's dir (or its removal) ever meets this one.
 */
export const SEALED_DIR = "_sealed";
/** The URL segment under /artifacts/ (the extension keeps it apart from an image whose id is "sealed"). */
export const SEALED_URL_SEGMENT = "sealed";

export function sealedArtifactDir(artifactDir: string): string {
  return path.join(artifactDir, SEALED_DIR);
}

export function sealedArtifactFile(artifactDir: string, sha256: string): string {
  if (!SHA256_PATTERN.test(sha256)) throw new Error(`unsafe artifact name ${sha256}`);
  return path.join(sealedArtifactDir(artifactDir), `${sha256}.${SEALED_EXTENSION}`);
}

export type StoredArtifact = { imageId: string; sha256: string; codec: string; encrypted: boolean };

export function storedArtifactFile(artifactDir: string, artifact: StoredArtifact): string {
  return artifact.encrypted
    ? sealedArtifactFile(artifactDir, artifact.sha256)
    : artifactFile(artifactDir, artifact.imageId, artifact.sha256, artifact.codec);
}

/** The path under the public URL agents fetch (through Squid). */
export function artifactUrlPath(artifact: StoredArtifact): string {
  return artifact.encrypted
    ? `/artifacts/${SEALED_URL_SEGMENT}/${artifact.sha256}.${SEALED_EXTENSION}`
    : `/artifacts/${artifact.imageId}/${artifact.sha256}.${artifact.codec === "gzip" ? "gz" : artifact.codec}`;
}
