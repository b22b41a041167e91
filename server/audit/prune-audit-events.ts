// Retention: audit events older than PRECACHE_AUDIT_RETENTION_DAYS go, at start and daily.
// Several processes on one Postgres may prune at once; deleting is idempotent.
import type { Logger } from "pino";
import type { Db } from "../db/open-database.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Deletes events older than `retentionDays` before `now`; returns how many went. */
export async function pruneAuditEvents(db: Db, options: { retentionDays: number; now?: Date }): Promise<number> {
  const cutoff = new Date((options.now ?? new Date()).getTime() - options.retentionDays * DAY_MS);
  const { count } = await db.auditEvent.deleteMany({ where: { at: { lt: cutoff } } });
  return count;
}

/** Prunes now and every day after; a failed prune is logged and tried again the next day. */
export async function startAuditPruning(context: { db: Db; log: Logger }, retentionDays: number): Promise<{ stop(): void }> {
  const prune = async () => {
    try {
      const count = await pruneAuditEvents(context.db, { retentionDays });
      if (count > 0) context.log.info({ count, retentionDays }, "pruned audit events past retention");
    } catch (error) {
      context.log.error({ err: error }, "audit retention prune failed; will retry tomorrow");
    }
  };
  await prune();
  const timer = setInterval(() => void prune(), DAY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
