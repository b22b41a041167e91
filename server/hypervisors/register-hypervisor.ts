// An agent's hello: record the hypervisor as online and answer with its settings. Kept to a few
// queries, because after a server restart every agent says hello at once; the inventory is
// reconciled after the answer (see reconcileHypervisor).
import type { AgentHello, AgentSettings } from "../../protocol/events.ts";
import type { AppContext } from "../context.ts";
import { toHypervisorHeader } from "./hypervisor-views.ts";

export async function registerHypervisor(
  context: Pick<AppContext, "db" | "cache" | "events" | "log" | "publicUrl">,
  hello: AgentHello,
): Promise<AgentSettings> {
  const existing = await context.db.hypervisor.findUnique({ where: { name: hello.name }, select: { groupSetBy: true } });
  const isGroupOperatorSet = existing?.groupSetBy === "operator";
  const data = {
    ...(isGroupOperatorSet || hello.group === undefined ? {} : { group: hello.group, groupSetBy: "agent" }),
    online: true,
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

/** No row (its hello never got as far as registering) is not an error: there is nothing to take offline. */
export async function markHypervisorOffline(context: Pick<AppContext, "db" | "events">, name: string): Promise<void> {
  const rows = await context.db.hypervisor.updateManyAndReturn({ where: { name }, data: { online: false, lastSeenAt: new Date() } });
  for (const row of rows) context.events.publish("hypervisorChanged", { hypervisor: toHypervisorHeader(row) });
}

export async function updateFreeSpace(context: Pick<AppContext, "db" | "events">, name: string, freeBytes: number): Promise<void> {
  const row = await context.db.hypervisor.update({
    where: { name },
    data: { freeBytes: BigInt(Math.floor(freeBytes)), lastSeenAt: new Date() },
  });
  context.events.publish("hypervisorChanged", { hypervisor: toHypervisorHeader(row) });
}
