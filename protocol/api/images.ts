// GET /api/images, GET /api/images/{id}, POST /api/images/{id}/publish, /pin, /api/images/sync.
import { z } from "zod";
import { ArtifactState } from "../states.ts";

/** A published (or publishing) artifact as the REST API and the live deltas show it. */
export const artifactView = z.object({
  state: z.enum(ArtifactState),
  codec: z.string(),
  level: z.number().int(),
  bytesRead: z.number(),
  sourceSize: z.number().nullable(),
  compressedSize: z.number().nullable(),
  sha256: z.string().nullable(),
  url: z.string().nullable(),
  /** Sealed with a per-artifact key: what Squid caches is ciphertext, only rollout targets get the key. */
  encrypted: z.boolean(),
  error: z.string().nullable(),
});
export type ArtifactView = z.infer<typeof artifactView>;

export const imageView = z.object({
  id: z.string(),
  name: z.string(),
  /** Glance's own status (active, deactivated, …) or "deleted" once gone from the source. */
  status: z.string(),
  size: z.number().nullable(),
  diskFormat: z.string().nullable(),
  osHashAlgo: z.string().nullable(),
  osHashValue: z.string().nullable(),
  checksum: z.string().nullable(),
  updatedAt: z.string().nullable(),
  /** Glance's owner (project id) and visibility: who may see the image in Glance. */
  owner: z.string().nullable(),
  visibility: z.string().nullable(),
  /** Whether publishing seals the artifact (encrypted, key only to rollout targets). */
  willEncrypt: z.boolean(),
  /** Kept on every node: cleanup and eviction leave it (POST /api/images/{id}/pin). */
  pinned: z.boolean(),
  artifact: artifactView.nullable(),
});
export type ImageView = z.infer<typeof imageView>;

/** The image source's last sync, as the Images page shows it: whether the list is current and since when it is not. */
export const sourceSync = z.object({
  kind: z.enum(["glance", "directory"]),
  state: z.enum(["ok", "degraded"]),
  lastError: z.string().nullable(),
  /** When the current state began: for "degraded", when syncs started failing. */
  since: z.string(),
  lastSyncedAt: z.string().nullable(),
  lastFailedAt: z.string().nullable(),
});
export type SourceSyncView = z.infer<typeof sourceSync>;

export const imageListReply = z.object({ images: z.array(imageView), source: sourceSync.optional() });
export type ImageListReply = z.infer<typeof imageListReply>;
export const imageReply = z.object({ image: imageView });
export type ImageReply = z.infer<typeof imageReply>;

export const publishRequest = z.object({ codec: z.literal("gzip").optional(), level: z.number().int().min(1).max(9).optional() }).strict();
export const publishReply = z.object({ artifact: artifactView, reused: z.boolean() });
export type PublishReply = z.infer<typeof publishReply>;

export const pinRequest = z.object({ pinned: z.boolean() }).strict();

export const syncReply = z.object({ count: z.number().int(), removed: z.number().int() });
