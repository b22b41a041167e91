// The audit trail as GET /api/audit returns it: one contract for the server and the dashboard.
export type AuditEventView = {
  /** A string: ids are 64-bit and would lose precision as JSON numbers. */
  id: string;
  at: string;
  actor: string;
  address: string | null;
  action: string;
  target: string | null;
  imageId: string | null;
  outcome: string;
  detail: unknown;
};

export type AuditPage = {
  events: AuditEventView[] /** Pass as `before` for the next (older) page; null at the end. */;
  nextBefore: string | null;
};
