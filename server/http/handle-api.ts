// The REST router: match, authenticate, check the role, parse, call, and write the audit trail.
import type { IncomingMessage, ServerResponse } from "node:http";
import { hasRole, Role } from "../../protocol/roles.ts";
import { recordAudit, type AuditOutcome } from "../audit/record-audit.ts";
import { anonymous, type Actor } from "../auth/actor.ts";
import { authenticate } from "../auth/authenticate.ts";
import type { AppContext } from "../context.ts";
import { AppError, isAppError } from "../errors.ts";
import { agentRoutes } from "./agent-routes.ts";
import { apiRoutes } from "./api-routes.ts";
import { readJson, sendError, sendJson, sendText } from "./respond.ts";
import type { Route, RouteRequest, RouteResult } from "./route.ts";
import { sessionRoutes } from "./session-routes.ts";

const routes: Route[] = [...sessionRoutes, ...apiRoutes, ...agentRoutes];

export async function handleApi(context: AppContext, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  const address = req.socket.remoteAddress ?? "unknown";
  let audited: { route: Route; request: RouteRequest } | null = null;
  try {
    const matching = routes.filter((route) => route.path.test(pathname));
    if (matching.length === 0) throw new AppError("NOT_FOUND", `no API route ${pathname}`);
    const route = matching.find((candidate) => candidate.method === req.method);
    if (!route) {
      return sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: `${req.method} not allowed on ${pathname}` } }, { allow: matching.map((r) => r.method).join(", ") });
    }
    const actor: Actor = route.isPublic ? anonymous(address) : await authenticate(context, req.headers, address);
    if (!route.isPublic) {
      if (actor.role === null) throw new AppError("UNAUTHORIZED", "sign in, or send Authorization: Bearer <API token>");
      const needed = route.role ?? (req.method === "GET" ? Role.viewer : Role.operator);
      if (!hasRole(actor.role, needed)) {
        if (route.audit) await audit(context, route, { params: [], body: {}, headers: req.headers, actor }, "denied", undefined, { needed });
        throw new AppError("FORBIDDEN", `${actor.name} is ${actor.role}; this needs ${needed}`);
      }
    }
    const params = route.path.exec(pathname)!.slice(1);
    const body = req.method === "GET" ? {} : await readJson(req);
    const request: RouteRequest = { params, body, headers: req.headers, actor };
    if (route.audit) audited = { route, request };
    const result = await route.handle(context, request);
    if (audited) await audit(context, route, request, "ok", result);
    if (result.text !== undefined) sendText(res, result.status, result.text, result.headers);
    else sendJson(res, result.status, result.body, result.headers);
  } catch (error) {
    if (audited) {
      const message = isAppError(error) ? `${error.code}: ${error.message}` : "internal error";
      await audit(context, audited.route, audited.request, "failed", undefined, { error: message.slice(0, 500) });
    }
    sendError(res, error, context.log);
  }
}

async function audit(context: AppContext, route: Route, request: RouteRequest, outcome: AuditOutcome, result?: RouteResult, detail?: Record<string, unknown>) {
  const spec = route.audit!;
  const pick = (read?: (request: RouteRequest, result?: RouteResult) => string | null | undefined) => {
    try {
      return read?.(request, result) ?? null;
    } catch {
      return null;
    }
  };
  await recordAudit(context, {
    actor: request.actor.name,
    address: request.actor.address,
    action: spec.action,
    target: pick(spec.target),
    imageId: pick(spec.imageId),
    outcome,
    detail,
  });
}
