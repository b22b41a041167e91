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

export const rolloutDetail = rolloutView.extend({ model: rolloutModel });
export type RolloutDetail = z.infer<typeof rolloutDetail>;

export const rolloutListReply = z.object({ rollouts: z.array(rolloutSummary) });
/** GET /api/rollouts/{id}, and the answer to pause, resume, cancel and retry. */
export const rolloutReply = z.object({ rollout: rolloutDetail });
