// Which proxies a hypervisor uses: its agent's own --proxy list wins, else its group's.
import type { AppContext } from "../context.ts";

export const DIRECT = "direct";

export async function groupProxies(context: Pick<AppContext, "db">): Promise<Map<string, string[]>> {
  const groups = await context.db.hypervisorGroup.findMany({ select: { name: true, proxies: true } });
  return new Map(groups.map((group) => [group.name, group.proxies]));
}

export function effectiveProxies(hypervisor: { proxies: string[]; group: string | null }, groups: Map<string, string[]>): string[] {
  if (hypervisor.proxies.length > 0) return hypervisor.proxies;
  return (hypervisor.group && groups.get(hypervisor.group)) || [];
}

/** The proxy a download will go through first: the unit of warm-up and concurrency. */
export function proxyKey(proxies: string[]): string {
  return proxies[0] ?? DIRECT;
}
