// Run every minute for the agents connected to this process: keep lastSeenAt fresh in a few
// bulk writes, and find connections whose credential was revoked, reset or replaced (by an
// operator on another server process sharing the database) so the hub can drop them.
import type { AppContext } from "../context.ts";

const CHUNK = 1000;

export async function refreshAgentPresence(
  context: Pick<AppContext, "db">,
  online: { name: string; secretHash: string }[],
): Promise<string[]> {
  const drop: string[] = [];
  const now = new Date();
  for (let start = 0; start < online.length; start += CHUNK) {
    const chunk = online.slice(start, start + CHUNK);
    const rows = await context.db.agentCredential.findMany({
      where: { hypervisorName: { in: chunk.map((agent) => agent.name) } },
      select: { hypervisorName: true, secretHash: true, revokedAt: true },
    });
    const current = new Map(rows.map((row) => [row.hypervisorName, row]));
    const keep: string[] = [];
    for (const agent of chunk) {
      const row = current.get(agent.name);
      if (!row || row.revokedAt || row.secretHash !== agent.secretHash) drop.push(agent.name);
      else keep.push(agent.name);
    }
    if (keep.length) await context.db.agentCredential.updateMany({ where: { hypervisorName: { in: keep } }, data: { lastSeenAt: now } });
  }
  return drop;
}
