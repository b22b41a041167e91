// GET and POST /api/topology: tier-1 Squids, groups with their tier-2 proxies, model bandwidths.
import { z } from "zod";
import { groupName, proxyUrl } from "../ids.ts";

const bandwidth = z.number().positive().max(400_000);

export const tier1Proxy = z.object({ url: z.string(), bandwidthMbps: z.number().nullable() });
export type Tier1Proxy = z.infer<typeof tier1Proxy>;

export const topology = z.object({
  tier1: z.array(tier1Proxy),
  nodeBandwidthMbps: z.number(),
  groups: z.array(
    z.object({
      name: z.string(),
      proxies: z.array(z.string()),
      bandwidthMbps: z.number().nullable(),
      hypervisors: z.number().int(),
      online: z.number().int(),
    }),
  ),
  ungrouped: z.number().int(),
});
export type Topology = z.infer<typeof topology>;

export const updateTopologyRequest = z
  .object({
    tier1: z
      .array(z.object({ url: proxyUrl, bandwidthMbps: bandwidth.nullable() }).strict())
      .max(64)
      .optional(),
    nodeBandwidthMbps: bandwidth.optional(),
    groups: z
      .array(
        z.object({ name: groupName, proxies: z.array(proxyUrl).max(16), bandwidthMbps: bandwidth.int().nullable().optional() }).strict(),
      )
      .max(10_000)
      .optional(),
  })
  .strict();
export type UpdateTopologyRequest = z.infer<typeof updateTopologyRequest>;

export const topologyReply = z.object({ topology });

/** DELETE /api/groups/{name}: 409 while hypervisors belong to it or an unfinished rollout targets it. */
export const deleteGroupReply = z.object({ ok: z.literal(true) });
