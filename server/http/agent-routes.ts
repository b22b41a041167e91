// Enrolled agents: list (viewer), revoke and reset (admin, audited).
import { hypervisorName } from "../../protocol/ids.ts";
import { Role } from "../../protocol/roles.ts";
import { listAgents } from "../agents/list-agents.ts";
import { resetAgent } from "../agents/reset-agent.ts";
import { revokeAgent } from "../agents/revoke-agent.ts";
import type { Route, RouteRequest } from "./route.ts";
import { pathParam } from "./route-params.ts";

const encodedName = "([^/]{1,1024})";

/** The {name} path segment, decoded and checked as a host name (400 for bad escapes, 422 for bad names). */
function agentName({ params }: Pick<RouteRequest, "params">): string {
  return pathParam(params[0], "agent name", hypervisorName);
}

/** For the audit row: the name when it is valid, never raw junk. */
function auditTarget(request: RouteRequest): string | null {
  try {
    return agentName(request);
  } catch {
    return null;
  }
}

export const agentRoutes: Route[] = [
  { method: "GET", path: /^\/api\/agents$/, handle: async (context) => ({ status: 200, body: { agents: await listAgents(context) } }) },
  {
    method: "POST",
    path: new RegExp(`^/api/agents/${encodedName}/revoke$`),
    role: Role.admin,
    audit: { action: "agent.revoke", target: auditTarget },
    handle: async (context, request) => ({
      status: 200,
      body: { agent: await revokeAgent(context, agentName(request), request.actor.name) },
    }),
  },
  {
    method: "POST",
    path: new RegExp(`^/api/agents/${encodedName}/reset$`),
    role: Role.admin,
    audit: { action: "agent.reset", target: auditTarget },
    handle: async (context, request) => ({ status: 200, body: await resetAgent(context, agentName(request), request.actor.name) }),
  },
];
