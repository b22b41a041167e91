// Who may open an /agent connection: a name's own credential, or (for a name that has none yet)
// the enrolment token. The token never takes over an enrolled name; a revoked name gets nothing.
import { AgentRefusal } from "../../protocol/agents.ts";
import type { AgentAuth } from "../../protocol/events.ts";
import type { Db } from "../db/open-database.ts";
import { safeEqual, type Secrets } from "../secrets.ts";
import { matchesSecretHash } from "./agent-secret.ts";

/** Twice the hub's presence sweep (60 s). */
const LAST_SEEN_FRESH_MS = 120_000;

export type AgentVerdict =
  | { ok: true; mode: "credential"; secretHash: string }
  | { ok: true; mode: "enrol" }
  | { ok: false; code: AgentRefusal; message: string };

export async function verifyAgent(
  context: { readonly db: Db; readonly secrets: Pick<Secrets, "agentToken"> },
  auth: AgentAuth,
  address: string,
): Promise<AgentVerdict> {
  const row = await context.db.agentCredential.findUnique({ where: { hypervisorName: auth.name } });
  if (row?.revokedAt) {
    return {
      ok: false,
      code: AgentRefusal.revoked,
      message: `${auth.name} was revoked by ${row.revokedBy ?? "an operator"}; an admin must reset it before it can enrol again`,
    };
  }
  if (row) {
    if (auth.credential !== undefined && matchesSecretHash(auth.credential, row.secretHash)) {
      // The hub's sweep keeps lastSeenAt fresh while connected, so a reconnect from the same
      // address (every node at once, after a server restart) needs no write of its own.
      const isRecent = row.lastSeenAt !== null && Date.now() - row.lastSeenAt.getTime() < LAST_SEEN_FRESH_MS;
      if (row.lastSeenFrom !== address || !isRecent) {
        await context.db.agentCredential.updateMany({
          where: { hypervisorName: auth.name },
          data: { lastSeenAt: new Date(), lastSeenFrom: address },
        });
      }
      return { ok: true, mode: "credential", secretHash: row.secretHash };
    }
    const message =
      auth.credential === undefined
        ? `${auth.name} is already enrolled: the enrolment token cannot take it over (an admin can reset it)`
        : `${auth.name} is enrolled under another credential`;
    return { ok: false, code: AgentRefusal.badCredential, message };
  }
  if (auth.token !== undefined && safeEqual(auth.token, context.secrets.agentToken)) return { ok: true, mode: "enrol" };
  if (auth.credential !== undefined && auth.token === undefined) {
    return {
      ok: false,
      code: AgentRefusal.notEnrolled,
      message: `${auth.name} has no credential here (never enrolled, or reset): enrol with PRECACHE_AGENT_TOKEN`,
    };
  }
  return { ok: false, code: AgentRefusal.badToken, message: "wrong or missing PRECACHE_AGENT_TOKEN" };
}
