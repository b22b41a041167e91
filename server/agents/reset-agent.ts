// An admin resets a node: its credential is deleted, so the name may enrol again with the
// enrolment token. A connection still using the old credential is dropped.
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";

export async function resetAgent(
  context: Pick<AppContext, "db" | "agents" | "log">,
  name: string,
  resetBy: string,
): Promise<{ name: string; reset: true }> {
  const { count } = await context.db.agentCredential.deleteMany({ where: { hypervisorName: name } });
  if (count === 0) throw new AppError("NOT_FOUND", `no enrolled agent named ${name}`);
  context.agents.disconnect(name, "credential reset");
  context.log.warn({ hypervisor: name, by: resetBy }, "agent credential reset; the name may enrol again");
  return { name, reset: true };
}
