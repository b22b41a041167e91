// GET /api/cleanup/stale, POST /api/cleanup (answered at once), and the cleanup history.
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

export const proxyPurge = z.object({ proxy: z.string(), status: z.number().nullable(), error: z.string().nullable() });
export type ProxyPurge = z.infer<typeof proxyPurge>;

// ---- a cleanup: started at once (202), run in the background, kept as history ----

/** A cleanup as a whole: running until every node has an outcome and the artifact step is over. */
export const CleanupState = { running: "running", done: "done", interrupted: "interrupted" } as const;
export type CleanupState = (typeof CleanupState)[keyof typeof CleanupState];

/** What became of the image on one node. */
export const NodeOutcome = {
  /** Asked; no answer yet. */
  pending: "pending",
  /** The agent deleted its copy (`freedBytes`). */
  deleted: "deleted",
  /** The agent had no copy to delete. */
  absent: "absent",
  /** The agent kept its copy and said why (`error`: IN_USE naming the disk or process, …). */
  refused: "refused",
  /** The node's agent was not connected. */
  offline: "offline",
  /** Connected, but no answer within the command timeout (30 s). */
  timeout: "timeout",
  /** The server stopped before the node answered. */
  interrupted: "interrupted",
} as const;
export type NodeOutcome = (typeof NodeOutcome)[keyof typeof NodeOutcome];

/** The artifact step: removal from the origin and PURGE from the Squids. */
export const ArtifactOutcome = {
  /** Not asked (and the image is not stale). */
  kept: "kept",
  pending: "pending",
  removed: "removed",
  /** There was no artifact to remove. */
  absent: "absent",
  failed: "failed",
  interrupted: "interrupted",
} as const;
export type ArtifactOutcome = (typeof ArtifactOutcome)[keyof typeof ArtifactOutcome];

/** POST /api/cleanup → 202: the cleanup's id and what was asked, resolved (absent `hypervisors`: every node holding the image). */
export const startedCleanup = z.object({
  id: z.string(),
  imageId: z.string(),
  state: z.enum(CleanupState),
  hypervisors: z.array(z.string()),
  removeArtifact: z.boolean(),
  purgeProxies: z.boolean(),
  createdAt: z.string(),
});
export type StartedCleanup = z.infer<typeof startedCleanup>;
export const startCleanupReply = z.object({ cleanup: startedCleanup });
export type StartCleanupReply = z.infer<typeof startCleanupReply>;

export const cleanupNodeRow = z.object({
  name: z.string(),
  outcome: z.enum(NodeOutcome),
  freedBytes: z.number(),
  /** Why it was refused, offline, timed out or interrupted. */
  error: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type CleanupNodeRow = z.infer<typeof cleanupNodeRow>;

export const cleanupArtifact = z.object({
  outcome: z.enum(ArtifactOutcome),
  purges: z.array(proxyPurge),
  error: z.string().nullable(),
});
export type CleanupArtifact = z.infer<typeof cleanupArtifact>;

/** Nodes per outcome. */
export const cleanupCounts = z.object({
  pending: z.number(),
  deleted: z.number(),
  absent: z.number(),
  refused: z.number(),
  offline: z.number(),
  timeout: z.number(),
  interrupted: z.number(),
} satisfies Record<NodeOutcome, z.ZodNumber>);
export type CleanupCounts = z.infer<typeof cleanupCounts>;

/** One row of the history (GET /api/cleanups): what was asked, by whom, how it ended. */
export const cleanupSummary = z.object({
  id: z.string(),
  imageId: z.string(),
  imageName: z.string(),
  state: z.enum(CleanupState),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  removeArtifact: z.boolean(),
  purgeProxies: z.boolean(),
  /** How many nodes were asked. */
  nodes: z.number(),
  counts: cleanupCounts,
  freedBytes: z.number(),
  artifact: cleanupArtifact,
});
export type CleanupSummary = z.infer<typeof cleanupSummary>;

/** GET /api/cleanups/{id}: the summary, and every node's outcome up to 500 nodes (beyond: page through /nodes). */
export const cleanupDetail = cleanupSummary.extend({ hypervisors: z.array(cleanupNodeRow), hypervisorsInline: z.boolean() });
export type CleanupDetail = z.infer<typeof cleanupDetail>;
export const cleanupReply = z.object({ cleanup: cleanupDetail });

/** GET /api/cleanups?imageId=&state=&before=&limit=: newest first; `nextBefore` pages on. */
export const cleanupListReply = z.object({ cleanups: z.array(cleanupSummary), nextBefore: z.string().nullable() });
export type CleanupListReply = z.infer<typeof cleanupListReply>;

/** GET /api/cleanups/{id}/nodes?outcome=&after=&limit=: by hypervisor name; `nextAfter` pages on. */
export const cleanupNodePageReply = z.object({ nodes: z.array(cleanupNodeRow), nextAfter: z.string().nullable() });
export type CleanupNodePageReply = z.infer<typeof cleanupNodePageReply>;
