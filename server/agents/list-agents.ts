// Enrolled nodes as operators see them: when and from where they enrolled, last seen, online, revoked.
import type { AgentView } from "../../protocol/agents.ts";
import type { AppContext } from "../context.ts";
import type { AgentCredential } from "../db/generated/client.ts";
import { AppError } from "../errors.ts";

type ListContext = Pick<AppContext, "db" | "agents">;

export async function listAgents(context: ListContext): Promise<AgentView[]> {
  const rows = await context.db.agentCredential.findMany({ orderBy: { hypervisorName: "asc" } });
  return withOnline(context, rows);
}

export async function getAgent(context: ListContext, name: string): Promise<AgentView> {
  const row = await context.db.agentCredential.findUnique({ where: { hypervisorName: name } });
  if (!row) throw new AppError("NOT_FOUND", `no enrolled agent named ${name}`);
  return (await withOnline(context, [row]))[0];
}

/** Online in this process, or (several servers on one Postgres) as the database records it. */
async function withOnline(context: ListContext, rows: AgentCredential[]): Promise<AgentView[]> {
  const online = await context.db.hypervisor.findMany({ where: { online: true }, select: { name: true } });
  const isOnline = new Set(online.map((row) => row.name));
  return rows.map((row) => ({
    name: row.hypervisorName,
    enrolledAt: row.enrolledAt.toISOString(),
    enrolledFrom: row.enrolledFrom,
    lastSeenAt: row.lastSeenAt?.toISOString() ?? null,
    lastSeenFrom: row.lastSeenFrom,
    online: !row.revokedAt && (context.agents.isOnline(row.hypervisorName) || isOnline.has(row.hypervisorName)),
    revoked: row.revokedAt !== null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    revokedBy: row.revokedBy,
  }));
}
