// An agent's hello: record the hypervisor as online and answer with its settings. Kept to a few
// queries, because after a server restart every agent says hello at once; the inventory is
// reconciled after the answer (see reconcileHypervisor).
import type { AgentHello, AgentSettings } from "../../protocol/events.ts";
import type { AppContext } from "../context.ts";
import { toHypervisorHeader } from "./hypervisor-views.ts";

export async function registerHypervisor(
  context: Pick<AppContext, "db" | "cache" | "events" | "log" | "publicUrl" | "instanceId">,
  hello: AgentHello,
): Promise<AgentSettings> {
  const existing = await context.db.hypervisor.findUnique({ where: { name: hello.name }, select: { groupSetBy: true } });
  const isGroupOperatorSet = existing?.groupSetBy === "operator";
  const data = {
    ...(isGroupOperatorSet || hello.group === undefined ? {} : { group: hello.group, groupSetBy: "agent" }),
    online: true,
    connectedTo: context.instanceId,
    version: hello.version,
    cacheDir: hello.cacheDir,
    peerUrl: hello.peerUrl ?? null,
    freeBytes: BigInt(Math.floor(hello.freeBytes)),
    proxies: hello.proxies,
    lastSeenAt: new Date(),
  };
  const row = await context.db.hypervisor.upsert({ where: { name: hello.name }, create: { name: hello.name, ...data }, update: data });
  context.events.publish("hypervisorChanged", { hypervisor: toHypervisorHeader(row) });
  context.log.info({ hypervisor: hello.name, version: hello.version, files: hello.inventory.length }, "hypervisor connected");
  return agentSettings(context, row);
}

/** Proxies of the hypervisor's group (used when the agent has no --proxy), pinned images, and where artifacts come from. */
export async function agentSettings(
  context: Pick<AppContext, "cache" | "publicUrl">,
  hypervisor: { group: string | null },
): Promise<AgentSettings> {
  const { groups, pinned } = await context.cache.topology();
  return { proxies: (hypervisor.group && groups.get(hypervisor.group)) || [], pinned, artifactBaseUrl: `${context.publicUrl}/artifacts/` };
}

/**
 * No row (its hello never got as far as registering) is not an error: there is nothing to take
 * offline. Only while this server holds the connection: the node may already have said hello to
 * another server sharing the database, and that one's "online" stands.
 */
export async function markHypervisorOffline(context: Pick<AppContext, "db" | "events" | "instanceId">, name: string): Promise<void> {
  const rows = await context.db.hypervisor.updateManyAndReturn({
    where: { name, connectedTo: context.instanceId },
    data: { online: false, connectedTo: null, lastSeenAt: new Date() },
  });
  for (const row of rows) context.events.publish("hypervisorChanged", { hypervisor: toHypervisorHeader(row) });
}

/** Takes offline the nodes of the given servers, or of every server but the given ones (and nodes of none). */
export async function markServersAgentsOffline(
  context: Pick<AppContext, "db" | "events">,
  servers: { connectedToIn: string[] } | { connectedToNotIn: string[] },
): Promise<number> {
  const where =
    "connectedToIn" in servers
      ? { online: true, connectedTo: { in: servers.connectedToIn } }
      : { online: true, OR: [{ connectedTo: { notIn: servers.connectedToNotIn } }, { connectedTo: null }] };
  const rows = await context.db.hypervisor.updateManyAndReturn({ where, data: { online: false, connectedTo: null } });
  for (const row of rows) context.events.publish("hypervisorChanged", { hypervisor: toHypervisorHeader(row) });
  return rows.length;
}

export async function updateFreeSpace(context: Pick<AppContext, "db" | "events">, name: string, freeBytes: number): Promise<void> {
  const row = await context.db.hypervisor.update({
    where: { name },
    data: { freeBytes: BigInt(Math.floor(freeBytes)), lastSeenAt: new Date() },
  });
  context.events.publish("hypervisorChanged", { hypervisor: toHypervisorHeader(row) });
}
