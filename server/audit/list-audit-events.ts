// Reads the audit trail newest first, one page at a time (keyset on the id: stable while new
// events arrive, and cheap however deep the operator pages).
import type { Db } from "../db/open-database.ts";
import type { Prisma } from "../db/generated/client.ts";
import type { AuditEventView, AuditPage } from "../../protocol/audit.ts";
import type { AuditQuery } from "./audit-query.ts";

export type { AuditEventView, AuditPage };

export async function listAuditEvents(db: Db, query: AuditQuery): Promise<AuditPage> {
  const where: Prisma.AuditEventWhereInput = {
    actor: query.actor,
    imageId: query.imageId,
    outcome: query.outcome,
    action: query.action === undefined ? undefined : query.action.endsWith(".") ? { startsWith: escapeLike(query.action) } : query.action,
    at: query.from || query.to ? { gte: query.from, lte: query.to } : undefined,
    id: query.before === undefined ? undefined : { lt: query.before },
  };
  const rows = await db.auditEvent.findMany({ where, orderBy: { id: "desc" }, take: query.limit + 1 });
  const page = rows.slice(0, query.limit);
  return {
    events: page.map((row) => ({
      id: row.id.toString(),
      at: row.at.toISOString(),
      actor: row.actor,
      address: row.address,
      action: row.action,
      target: row.target,
      imageId: row.imageId,
      outcome: row.outcome,
      detail: row.detail ?? null,
    })),
    nextBefore: rows.length > query.limit ? page[page.length - 1].id.toString() : null,
  };
}

/** Prisma hands startsWith to LIKE unescaped: "_" and "%" would be wildcards. */
function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, "\\$&");
}
