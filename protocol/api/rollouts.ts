// POST /api/rollouts, GET /api/rollouts, GET /api/rollouts/{id}, and its pause/resume/cancel/retry.
import { z } from "zod";
import { groupName, hypervisorName, imageId } from "../ids.ts";
import { RolloutState, TargetState } from "../states.ts";

export const hypervisorNames = z.array(hypervisorName).min(1).max(100_000);

export const createRolloutRequest = z
  .object({
    imageId,
    hypervisors: hypervisorNames.optional(),
    groups: z.array(groupName).min(1).max(10_000).optional(),
    strategy: z.enum(["waves", "jitter"]).optional(),
    /** "peers": the peer tier (first nodes of a group through its Squid, the rest from holders). */
    source: z.enum(["squid", "peers"]).optional(),
    jitterSeconds: z.number().min(0).max(3600).optional(),
    perProxyConcurrency: z.number().int().min(1).max(10_000).optional(),
    maxAttempts: z.number().int().min(1).max(20).optional(),
    nodeTimeoutSeconds: z.number().int().min(5).max(86_400).optional(),
    /** How long each agent keeps resuming a download that makes no progress (proxy outage). */
    retryBudgetSeconds: z.number().int().min(1).max(86_400).optional(),
    bandwidthMbps: z.number().positive().max(400_000).optional(),
    /** Download and verify again on targets that already hold a verified copy (otherwise they are done at once). */
    refetchCached: z.boolean().optional(),
  })
  .strict();
export type CreateRolloutRequest = z.infer<typeof createRolloutRequest>;

export const createdRollout = z.object({ id: z.string(), state: z.enum(RolloutState), targets: z.number().int() });
export type CreatedRollout = z.infer<typeof createdRollout>;
export const createRolloutReply = z.object({ rollout: createdRollout });

export const rolloutCounts = z.object({
  pending: z.number(),
  downloading: z.number(),
  done: z.number(),
  failed: z.number(),
  cancelled: z.number(),
});
export type RolloutCounts = z.infer<typeof rolloutCounts>;

export const proxyLoad = z.object({ proxy: z.string(), downloading: z.number(), done: z.number(), failed: z.number() });
export type ProxyLoad = z.infer<typeof proxyLoad>;

export const rolloutSummary = z.object({
  id: z.string(),
  imageId: z.string(),
  state: z.enum(RolloutState),
  strategy: z.string(),
  /** "squid" or "peers" (the peer tier). */
  source: z.string(),
  /** Compressed bytes nodes got from peers: what the Squids did not have to send. */
  bytesFromPeers: z.number(),
  /** Peers that served bytes that failed verification: no longer chosen in this rollout. */
  excludedPeers: z.array(z.string()),
  perProxyConcurrency: z.number(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  counts: rolloutCounts,
  /** Decompressed bytes written on hypervisors so far. */
  bytesDelivered: z.number(),
  perProxy: z.array(proxyLoad),
});
export type RolloutSummary = z.infer<typeof rolloutSummary>;

export const rolloutView = rolloutSummary.extend({
  hypervisors: z.array(
    z.object({
      name: z.string(),
      state: z.enum(TargetState),
      bytes: z.number(),
      error: z.string().nullable(),
      attempts: z.number(),
      proxy: z.string().nullable(),
      /** Where its last attempt was sent first: "squid" or "peer:<hypervisor>". */
      source: z.string().nullable(),
    }),
  ),
});
export type RolloutView = z.infer<typeof rolloutView>;

/** The seed's time model with the operator's bandwidths (the Rollout page's "ETA (model)"). */
export const rolloutModel = z.object({
  imageBytes: z.number(),
  artifactBytes: z.number(),
  proxies: z.number(),
  etaSeconds: z.number().nullable(),
  totalSeconds: z.number().nullable(),
  /** The planner for both sources, whichever this rollout uses: Squid only, and the peer tier. */
  squidSeconds: z.number().nullable(),
  peerSeconds: z.number().nullable(),
});
export type RolloutModel = z.infer<typeof rolloutModel>;

// ---- history, paged targets, the rollout page's detail, the dialog's estimate ----

/** What the operator asked for: every hypervisor (and those that join later), groups, or names. */
export const rolloutSelector = z.union([
  z.object({ all: z.literal(true) }),
  z.object({ groups: z.array(z.string()) }),
  z.object({ hypervisors: z.array(z.string()) }),
]);
export type RolloutSelector = z.infer<typeof rolloutSelector>;

/** Counts and bytes of a rollout, by aggregate queries (its targets are never all loaded). */
export const rolloutTotals = z.object({
  counts: rolloutCounts,
  /** Pending targets that already had an attempt: waiting out a backoff before the next one. */
  retrying: z.number(),
  targets: z.number(),
  bytesDelivered: z.number(),
  bytesFromPeers: z.number(),
});
export type RolloutTotals = z.infer<typeof rolloutTotals>;

/** One row of the rollout history (GET /api/rollouts). */
export const rolloutHistoryRow = rolloutTotals.extend({
  id: z.string(),
  imageId: z.string(),
  imageName: z.string(),
  state: z.enum(RolloutState),
  strategy: z.string(),
  source: z.string(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type RolloutHistoryRow = z.infer<typeof rolloutHistoryRow>;
/** GET /api/rollouts?imageId=&state=&before=&limit=: newest first; `nextBefore` pages on. */
export const rolloutListReply = z.object({ rollouts: z.array(rolloutHistoryRow), nextBefore: z.string().nullable() });
export type RolloutListReply = z.infer<typeof rolloutListReply>;

export const rolloutTargetRow = rolloutView.shape.hypervisors.element.extend({
  nextAttemptAt: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type RolloutTargetRow = z.infer<typeof rolloutTargetRow>;
/** GET /api/rollouts/{id}/targets?state=&after=&limit=: by hypervisor name; `nextAfter` pages on. */
export const targetPageReply = z.object({ targets: z.array(rolloutTargetRow), nextAfter: z.string().nullable() });
export type TargetPageReply = z.infer<typeof targetPageReply>;

/** GET /api/rollouts/{id}: the view (targets listed only for small rollouts), the story, the planner. */
export const rolloutDetail = rolloutView.extend({
  imageName: z.string(),
  createdBy: z.string().nullable(),
  /** How many targets, whether or not `hypervisors` lists them (it does up to 500). */
  targets: z.number(),
  retrying: z.number(),
  hypervisorsInline: z.boolean(),
  maxAttempts: z.number(),
  jitterSeconds: z.number(),
  bandwidthMbps: z.number().nullable(),
  selector: rolloutSelector.nullable(),
  model: rolloutModel,
});
export type RolloutDetail = z.infer<typeof rolloutDetail>;
/** GET /api/rollouts/{id}, and the answer to pause, resume, cancel and retry. */
export const rolloutReply = z.object({ rollout: rolloutDetail });

/** GET /api/images/{id}/estimate?group=&strategy=&jitterSeconds=: what the rollout dialog shows. */
export const rolloutEstimate = z.object({
  image: z.object({
    id: z.string(),
    name: z.string(),
    size: z.number().nullable(),
    compressedSize: z.number().nullable(),
    isReady: z.boolean(),
  }),
  /** Hypervisors the rollout would start with (all of them, or the chosen groups' members). */
  targets: z.number(),
  /** Every known group with its member count, for choosing. */
  groups: z.array(z.object({ name: z.string(), hypervisors: z.number() })),
  /** Hypervisors without a group (only reached by a rollout to all). */
  ungrouped: z.number(),
  proxies: z.number(),
  squidSeconds: z.number().nullable(),
  peerSeconds: z.number().nullable(),
});
export type RolloutEstimate = z.infer<typeof rolloutEstimate>;
export const rolloutEstimateReply = z.object({ estimate: rolloutEstimate });
