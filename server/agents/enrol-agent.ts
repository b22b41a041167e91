// Enrolment: a name without a credential, holding the enrolment token, gets its own secret. The
// primary key makes it race-safe: of two simultaneous enrolments of one name, one wins.
import type { AppContext } from "../context.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { AppError } from "../errors.ts";
import { newAgentSecret } from "./agent-secret.ts";

export async function enrolAgent(
  context: Pick<AppContext, "db" | "log">,
  name: string,
  address: string,
): Promise<{ secret: string; secretHash: string }> {
  const { secret, secretHash } = newAgentSecret();
  const now = new Date();
  try {
    await context.db.agentCredential.create({
      data: { hypervisorName: name, secretHash, enrolledAt: now, enrolledFrom: address, lastSeenAt: now, lastSeenFrom: address },
    });
  } catch (error) {
    if ((error as { code?: string }).code === "P2002") throw new AppError("CONFLICT", `${name} is already enrolled`, { cause: error });
    throw error;
  }
  await recordAudit(context, { actor: `agent:${name}`, address, action: "agent.enrol", target: name, outcome: "ok" });
  return { secret, secretHash };
}
