// Who may pre-cache what: the image's Glance project and visibility, and whether its artifact is
// (or will be) sealed. Operators see before they press Publish that a private image is encrypted.
import type { ImageRow } from "../lib/queries";

export function ImageOwnership({ image }: { image: ImageRow }) {
  if (!image.owner && !image.visibility) return null;
  return (
    <div className="muted" style={{ fontSize: 12 }} data-testid="image-ownership">
      {image.visibility ?? "visibility unknown"}
      {image.owner ? ` · project ${image.owner}` : ""}
    </div>
  );
}

export function EncryptedBadge({ image }: { image: ImageRow }) {
  if (image.artifact?.state !== "ready" || !image.artifact.encrypted) return null;
  return (
    <span className="badge" title="Squid caches only ciphertext; only enrolled rollout targets get the key" data-testid="encrypted">
      encrypted
    </span>
  );
}

/** Said before publishing (and while a sealed publish runs), next to the Publish button. */
export function EncryptionNote({ image }: { image: ImageRow }) {
  if (!image.willEncrypt || image.artifact?.state === "ready") return null;
  return (
    <div className="muted" style={{ fontSize: 12 }} data-testid="will-encrypt">
      Not public: publishing encrypts it. Squid caches only ciphertext; only rollout targets receive the key.
    </div>
  );
}
