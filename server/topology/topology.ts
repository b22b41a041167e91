// Groups of hypervisors with their tier-2 proxies, the tier-1 parents, and model bandwidths.
// Changes are pushed to connected agents (those without their own --proxy start using them).
import { HYPERVISOR_NAME_PATTERN } from "../../protocol/ids.ts";
import type { Tier1Proxy, Topology, UpdateTopologyRequest } from "../../protocol/api/topology.ts";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import { toHypervisorHeader } from "../hypervisors/hypervisor-views.ts";
import { agentSettings } from "../hypervisors/register-hypervisor.ts";

type TopologyContext = Pick<AppContext, "db" | "cache" | "agents" | "log" | "events" | "publicUrl">;

export async function getTopology(context: Pick<AppContext, "db">): Promise<Topology> {
  const [setting, nodeSetting, groups, counts] = await Promise.all([
    context.db.setting.findUnique({ where: { key: "topology.tier1" } }),
    context.db.setting.findUnique({ where: { key: "model.nodeBandwidthMbps" } }),
    context.db.hypervisorGroup.findMany({ orderBy: { name: "asc" } }),
    context.db.hypervisor.groupBy({ by: ["group", "online"], _count: { _all: true } }),
  ]);
  const count = (group: string | null, online?: boolean) =>
    counts
      .filter((row) => row.group === group && (online === undefined || row.online === online))
      .reduce((sum, row) => sum + row._count._all, 0);
  const names = new Set([...groups.map((g) => g.name), ...counts.map((row) => row.group).filter((g): g is string => g !== null)]);
  return {
    tier1: (setting?.value as Tier1Proxy[] | undefined) ?? [],
    nodeBandwidthMbps: (nodeSetting?.value as number | undefined) ?? 1000,
    groups: [...names].sort().map((name) => {
      const group = groups.find((g) => g.name === name);
      return {
        name,
        proxies: group?.proxies ?? [],
        bandwidthMbps: group?.bandwidthMbps ?? null,
        hypervisors: count(name),
        online: count(name, true),
      };
    }),
    ungrouped: count(null),
  };
}

export async function updateTopology(context: TopologyContext, update: UpdateTopologyRequest): Promise<Topology> {
  if (update.tier1) {
    await context.db.setting.upsert({
      where: { key: "topology.tier1" },
      create: { key: "topology.tier1", value: update.tier1 },
      update: { value: update.tier1 },
    });
  }
  if (update.nodeBandwidthMbps !== undefined) {
    const key = "model.nodeBandwidthMbps";
    await context.db.setting.upsert({
      where: { key },
      create: { key, value: update.nodeBandwidthMbps },
      update: { value: update.nodeBandwidthMbps },
    });
  }
  for (const group of update.groups ?? []) {
    const data = { proxies: group.proxies, bandwidthMbps: group.bandwidthMbps ?? null };
    await context.db.hypervisorGroup.upsert({ where: { name: group.name }, create: { name: group.name, ...data }, update: data });
  }
  await pushSettings(context);
  context.log.info({ groups: update.groups?.length ?? 0, tier1: update.tier1?.length }, "topology updated");
  return getTopology(context);
}

export async function setHypervisorGroup(context: TopologyContext, name: string, group: string | null): Promise<void> {
  if (!HYPERVISOR_NAME_PATTERN.test(name)) throw new AppError("NOT_FOUND", "no hypervisor of that name");
  const { count } = await context.db.hypervisor.updateMany({
    where: { name },
    data: { group, groupSetBy: group === null ? null : "operator" },
  });
  if (count === 0) throw new AppError("NOT_FOUND", `no hypervisor ${name}`);
  const row = await context.db.hypervisor.findUnique({ where: { name } });
  if (row) context.events.publish("hypervisorChanged", { hypervisor: toHypervisorHeader(row) }); // the heatmap regroups live
  await pushSettings(context);
}

export async function setImagePinned(context: TopologyContext, imageId: string, pinned: boolean): Promise<void> {
  const { count } = await context.db.image.updateMany({ where: { id: imageId }, data: { pinned } });
  if (count === 0) throw new AppError("IMAGE_NOT_FOUND", `no image ${imageId}`);
  await pushSettings(context);
}

async function pushSettings(context: TopologyContext): Promise<void> {
  context.events.publish("topologyChanged", {});
  await pushAgentSettings(context);
}

/** Sends the agents connected to this server their settings as the database now has them. */
export async function pushAgentSettings(context: Pick<TopologyContext, "db" | "agents" | "cache" | "publicUrl">): Promise<void> {
  const online = await context.db.hypervisor.findMany({
    where: { name: { in: context.agents.onlineNames() } },
    select: { name: true, group: true },
  });
  const settings = new Map(await Promise.all(online.map(async (h) => [h.name, await agentSettings(context, h)] as const)));
  context.agents.broadcastSettings((name) => settings.get(name) ?? null);
}

/**
 * Deletes a group's settings (its tier-2 proxies and bandwidth). Refused (409) while hypervisors
 * still belong to it or an unfinished rollout targets it: moving members out silently would switch
 * their proxies under them (and an agent started with --group puts itself back at its next hello),
 * and a group rollout keeps adding members that join later. The operator moves members first.
 */
export async function deleteGroup(context: TopologyContext, name: string): Promise<void> {
  const members = await context.db.hypervisor.count({ where: { group: name } });
  if (members > 0)
    throw new AppError(
      "CONFLICT",
      `group ${name} still has ${members === 1 ? "1 hypervisor" : `${members} hypervisors`}: move them to another group (or none) first`,
    );
  const open = await context.db.rollout.findMany({ where: { state: { in: ["running", "paused"] } }, select: { id: true, selector: true } });
  const targeting = open.find((rollout) => {
    const groups = (rollout.selector as { groups?: unknown } | null)?.groups;
    return Array.isArray(groups) && groups.includes(name);
  });
  if (targeting) throw new AppError("CONFLICT", `rollout ${targeting.id} targets group ${name}: let it finish or cancel it first`);
  const { count } = await context.db.hypervisorGroup.deleteMany({ where: { name } });
  if (count === 0) throw new AppError("NOT_FOUND", `no group ${name}`);
  await pushSettings(context);
  context.log.info({ group: name }, "group deleted");
}
