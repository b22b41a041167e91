// GET /api/audit: the audit trail, filtered and paged. Operators and admins only: the trail holds
// operators' names and source addresses, which viewers have no need to see.
import { Role } from "../../protocol/roles.ts";
import { parseAuditQuery } from "../audit/audit-query.ts";
import { listAuditEvents } from "../audit/list-audit-events.ts";
import type { Route } from "./route.ts";

export const auditRoutes: Route[] = [
  {
    method: "GET",
    path: /^\/api\/audit$/,
    role: Role.operator,
    handle: async (context, { query }) => ({ status: 200, body: await listAuditEvents(context.db, parseAuditQuery(query)) }),
  },
];
