// Database rows → the JSON shapes of the public contract (DESIGN §6).
import type { ArtifactView, ImageView } from "../../protocol/api/images.ts";
import type { ArtifactState } from "../../protocol/states.ts";
import type { Artifact, Image } from "../db/generated/client.ts";
import { mustSeal } from "../publish/seal-policy.ts";
import { artifactUrlPath, type StoredArtifact } from "../publish/artifact-paths.ts";

export function artifactUrl(publicUrl: string, artifact: StoredArtifact): string {
  return `${publicUrl}${artifactUrlPath(artifact)}`;
}

export function toArtifactView(artifact: Artifact, publicUrl: string): ArtifactView {
  return {
    state: artifact.state as ArtifactState,
    codec: artifact.codec,
    level: artifact.level,
    bytesRead: Number(artifact.bytesRead),
    sourceSize: artifact.sourceSize === null ? null : Number(artifact.sourceSize),
    compressedSize: artifact.compressedSize === null ? null : Number(artifact.compressedSize),
    sha256: artifact.sha256,
    url: artifact.state === "ready" && artifact.sha256 ? artifactUrl(publicUrl, { ...artifact, sha256: artifact.sha256 }) : null,
    encrypted: artifact.encrypted,
    error: artifact.error,
  };
}

export function toImageView(image: Image & { artifact: Artifact | null }, publicUrl: string, encryptAll = false): ImageView {
  return {
    id: image.id,
    name: image.name,
    status: image.status,
    size: image.size === null ? null : Number(image.size),
    diskFormat: image.diskFormat,
    osHashAlgo: image.osHashAlgo,
    osHashValue: image.osHashValue,
    checksum: image.checksum,
    updatedAt: image.glanceUpdatedAt,
    owner: image.owner,
    visibility: image.visibility,
    willEncrypt: mustSeal(image, encryptAll),
    pinned: image.pinned,
    artifact: image.artifact ? toArtifactView(image.artifact, publicUrl) : null,
  };
}
