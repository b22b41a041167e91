// GET /api/cleanup/stale and POST /api/cleanup.
import { z } from "zod";
import { imageId } from "../ids.ts";
import { hypervisorNames } from "./rollouts.ts";

export const cleanupRequest = z
  .object({
    imageId,
    hypervisors: hypervisorNames.optional(),
    removeArtifact: z.boolean().optional(),
    purgeProxies: z.boolean().optional(),
  })
  .strict();
export type CleanupRequest = z.infer<typeof cleanupRequest>;

export const StaleReason = { deleted: "deleted", deactivated: "deactivated", superseded: "superseded", unused: "unused" } as const;
export type StaleReason = (typeof StaleReason)[keyof typeof StaleReason];

export const staleImage = z.object({
  imageId: z.string(),
  name: z.string(),
  status: z.string(),
  reason: z.enum(StaleReason),
  detail: z.string(),
  nodes: z.number().int(),
  bytes: z.number(),
  hasArtifact: z.boolean(),
  perNode: z.array(z.object({ name: z.string(), bytes: z.number(), lastUsedAt: z.string().nullable() })),
});
export type StaleImage = z.infer<typeof staleImage>;

export const staleListReply = z.object({ images: z.array(staleImage), totalBytes: z.number() });
export type StaleList = z.infer<typeof staleListReply>;

export const nodeCleanup = z.object({
  name: z.string(),
  ok: z.boolean(),
  deleted: z.boolean(),
  freedBytes: z.number(),
  error: z.string().nullable(),
});
export type NodeCleanup = z.infer<typeof nodeCleanup>;

export const proxyPurge = z.object({ proxy: z.string(), status: z.number().nullable(), error: z.string().nullable() });
export type ProxyPurge = z.infer<typeof proxyPurge>;

export const cleanupReply = z.object({
  imageId: z.string(),
  freedBytes: z.number(),
  hypervisors: z.array(nodeCleanup),
  artifact: z.object({ removed: z.boolean(), purges: z.array(proxyPurge) }),
});
export type CleanupReply = z.infer<typeof cleanupReply>;
