// The audit trail: who did what, when, from where, to what, and how it ended. Written to the
// database and to the log. An audit write that fails is logged, never thrown: it must not turn
// an operator's finished action into an error.
import type { Logger } from "pino";
import type { Db } from "../db/open-database.ts";

export const AuditOutcome = { ok: "ok", denied: "denied", failed: "failed" } as const;
export type AuditOutcome = (typeof AuditOutcome)[keyof typeof AuditOutcome];

export type AuditEntry = {
  actor: string;
  address?: string | null;
  /** "<area>.<verb>", e.g. "rollout.create", "session.sign-in", "agent.revoke". */
  action: string;
  target?: string | null;
  imageId?: string | null;
  outcome: AuditOutcome;
  detail?: Record<string, unknown>;
};

export async function recordAudit(context: { db: Db; log: Logger }, entry: AuditEntry): Promise<void> {
  const row = {
    actor: entry.actor,
    address: entry.address ?? null,
    action: entry.action,
    target: entry.target ?? null,
    imageId: entry.imageId ?? null,
    outcome: entry.outcome,
    detail: (entry.detail ?? undefined) as object | undefined,
  };
  context.log.info({ audit: row }, `audit: ${entry.actor} ${entry.action} ${entry.target ?? ""} → ${entry.outcome}`);
  try {
    await context.db.auditEvent.create({ data: row });
  } catch (error) {
    context.log.error({ err: error, audit: row }, "audit event could not be stored");
  }
}
