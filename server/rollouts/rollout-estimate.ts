// The planner's time for a rollout, with the bandwidths entered on the Topology page: for a
// running rollout's view, and before one starts (the dashboard's rollout dialog).
import { z } from "zod";
import { groupName } from "../../protocol/ids.ts";
import type { RolloutEstimate } from "../../protocol/api/rollouts.ts";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import { invalidParam, parseQueryParams } from "../http/query-params.ts";
import { selectHypervisors, type RolloutSelector } from "./create-rollout.ts";
import { PEER_FANOUT, PEER_SEEDS_PER_GROUP } from "./peer-wave.ts";
import { modelPeerRolloutSeconds, modelRolloutSeconds } from "./rollout-model.ts";

export type Bandwidths = { proxies: number[]; nodeBps: number };

/** Bits per second of each group's proxies (tier 2) and of one node's link. */
export async function loadBandwidths(context: Pick<AppContext, "db">): Promise<Bandwidths> {
  const [groups, nodeSetting] = await Promise.all([
    context.db.hypervisorGroup.findMany(),
    context.db.setting.findUnique({ where: { key: "model.nodeBandwidthMbps" } }),
  ]);
  const bandwidthByProxy = new Map<string, number>();
  for (const group of groups)
    for (const proxy of group.proxies) if (group.bandwidthMbps) bandwidthByProxy.set(proxy, group.bandwidthMbps * 1e6);
  return { proxies: [...bandwidthByProxy.values()], nodeBps: ((nodeSetting?.value as number | undefined) ?? 1000) * 1e6 };
}

export type PlannerInput = { artifactBytes: number; nodes: number; strategy: string; jitterSeconds: number };

/** Seconds for Squid only and for the peer tier (null: no proxy bandwidths entered). */
export function plannerSeconds(bandwidths: Bandwidths, input: PlannerInput): { squidSeconds: number | null; peerSeconds: number | null } {
  const squidSeconds = modelRolloutSeconds({
    artifactBytes: input.artifactBytes,
    nodes: input.nodes,
    proxyBandwidthBps: bandwidths.proxies,
    nodeBandwidthBps: bandwidths.nodeBps,
    strategy: input.strategy === "jitter" ? "jitter" : "waves",
    jitterSeconds: input.jitterSeconds,
  });
  return { squidSeconds, peerSeconds: peerModel(input.artifactBytes, input.nodes, bandwidths.proxies, bandwidths.nodeBps) };
}

/** The peer tier's time: nodes spread evenly over the groups' proxies (the model has no per-group counts). */
function peerModel(artifactBytes: number, nodes: number, proxies: number[], nodeBps: number): number | null {
  if (proxies.length === 0) return null;
  const perGroup = Array.from(
    { length: proxies.length },
    (_, index) => Math.floor(nodes / proxies.length) + (index < nodes % proxies.length ? 1 : 0),
  );
  return modelPeerRolloutSeconds({
    artifactBytes,
    groupNodes: perGroup,
    proxyBandwidthBps: Math.min(...proxies),
    nodeBandwidthBps: nodeBps,
    seeds: PEER_SEEDS_PER_GROUP,
    fanout: PEER_FANOUT,
  });
}

const estimateFields = {
  strategy: z.enum(["waves", "jitter"], { message: "must be waves or jitter" }),
  jitterSeconds: z
    .string()
    .regex(/^[0-9]{1,4}(\.[0-9]{1,3})?$/, "must be a number of seconds from 0 to 3600")
    .transform(Number)
    .refine((value) => value <= 3600, "must be a number of seconds from 0 to 3600"),
};

export type EstimateQuery = { groups?: string[]; strategy?: "waves" | "jitter"; jitterSeconds?: number };

/** `?group=a&group=b&strategy=jitter&jitterSeconds=30`: `group` may repeat, the rest may not. */
export function parseEstimateQuery(query: URLSearchParams): EstimateQuery {
  const groups = query.getAll("group");
  if (groups.length > 10_000) throw invalidParam("group", "at most 10000 groups");
  for (const group of groups)
    if (!groupName.safeParse(group).success) throw invalidParam("group", "a group name: 1-128 printable characters");
  const rest = new URLSearchParams([...query].filter(([name]) => name !== "group"));
  const parsed = parseQueryParams(rest, estimateFields);
  return { ...(groups.length ? { groups } : {}), ...parsed };
}

/** GET /api/images/:id/estimate: what a rollout with these options would reach, and how long it would take. */
export async function estimateRollout(
  context: Pick<AppContext, "db">,
  options: { imageId: string; groups?: string[]; strategy?: string; jitterSeconds?: number },
): Promise<RolloutEstimate> {
  const image = await context.db.image.findUnique({ where: { id: options.imageId }, include: { artifact: true } });
  if (!image) throw new AppError("IMAGE_NOT_FOUND", `no image ${options.imageId}`);
  const selector: RolloutSelector = options.groups ? { groups: options.groups } : { all: true };
  const [names, byGroup, bandwidths] = await Promise.all([
    selectHypervisors(context, selector),
    context.db.hypervisor.groupBy({ by: ["group"], _count: { _all: true } }),
    loadBandwidths(context),
  ]);
  const compressedSize = image.artifact?.compressedSize == null ? null : Number(image.artifact.compressedSize);
  const seconds = plannerSeconds(bandwidths, {
    artifactBytes: compressedSize ?? Number(image.size ?? 0),
    nodes: names.length,
    strategy: options.strategy ?? "waves",
    jitterSeconds: options.jitterSeconds ?? 0,
  });
  return {
    image: {
      id: image.id,
      name: image.name,
      size: image.size === null ? null : Number(image.size),
      compressedSize,
      isReady: image.artifact?.state === "ready",
    },
    targets: names.length,
    groups: byGroup
      .filter((row) => row.group !== null)
      .map((row) => ({ name: row.group!, hypervisors: row._count._all }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    ungrouped: byGroup.find((row) => row.group === null)?._count._all ?? 0,
    proxies: bandwidths.proxies.length,
    ...seconds,
  };
}
