// Actions on one node's cache need its agent connected now: an unknown node is 404, an offline one 409.
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";

export async function requireOnlineHypervisor(context: Pick<AppContext, "db" | "agents">, name: string): Promise<void> {
  const hypervisor = await context.db.hypervisor.findUnique({ where: { name }, select: { online: true } });
  if (!hypervisor) throw new AppError("NOT_FOUND", `no hypervisor ${name}`);
  if (!hypervisor.online || !context.agents.isOnline(name))
    throw new AppError("NODE_OFFLINE", `hypervisor ${name} is offline: its agent must be connected to act on its cache`);
}
