// An operator revokes a node: it is dropped at once and refused until an admin resets it.
import type { AgentView } from "../../protocol/agents.ts";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import { getAgent } from "./list-agents.ts";

export async function revokeAgent(context: Pick<AppContext, "db" | "agents" | "log">, name: string, revokedBy: string): Promise<AgentView> {
  const { count } = await context.db.agentCredential.updateMany({
    where: { hypervisorName: name, revokedAt: null },
    data: { revokedAt: new Date(), revokedBy },
  });
  if (count === 0 && !(await context.db.agentCredential.findUnique({ where: { hypervisorName: name } }))) {
    throw new AppError("NOT_FOUND", `no enrolled agent named ${name}`);
  }
  context.agents.disconnect(name, "credential revoked");
  context.log.warn({ hypervisor: name, by: revokedBy }, "agent credential revoked");
  return getAgent(context, name);
}
