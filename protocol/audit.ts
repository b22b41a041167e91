// The audit trail as GET /api/audit returns it: one contract for the server and the dashboard.
import { z } from "zod";

export const auditEventView = z.object({
  /** A string: ids are 64-bit and would lose precision as JSON numbers. */
  id: z.string(),
  at: z.string(),
  actor: z.string(),
  address: z.string().nullable(),
  action: z.string(),
  target: z.string().nullable(),
  imageId: z.string().nullable(),
  outcome: z.string(),
  detail: z.unknown(),
});
export type AuditEventView = z.infer<typeof auditEventView>;

export const auditPage = z.object({
  events: z.array(auditEventView),
  /** Pass as `before` for the next (older) page; null at the end. */
  nextBefore: z.string().nullable(),
});
export type AuditPage = z.infer<typeof auditPage>;
