// The REST router: match, authenticate, check the role, parse, call, and write the audit trail.
import type { IncomingMessage, ServerResponse } from "node:http";
import { hasRole, Role } from "../../protocol/roles.ts";
import { recordAudit, type AuditOutcome } from "../audit/record-audit.ts";
import type { Actor } from "../auth/actor.ts";
import { authenticate } from "../auth/authenticate.ts";
import { checkCsrf } from "../auth/csrf.ts";
import { clientAddress, dashboardOrigins, isHttpsRequest, type RequestFacts } from "../auth/request-origin.ts";
import type { AppContext } from "../context.ts";
import { AppError, isAppError } from "../errors.ts";
import { toDatabaseUnavailable } from "../health/database-errors.ts";
import { agentRoutes } from "./agent-routes.ts";
import { apiRoutes } from "./api-routes.ts";
import { auditRoutes } from "./audit-routes.ts";
import { cleanupRoutes } from "./cleanup-routes.ts";
import { nodeImageRoutes } from "./node-image-routes.ts";
import { readJson, sendError, sendErrorCode, sendJson, sendText } from "./respond.ts";
import type { Route, RouteRequest, RouteResult } from "./route.ts";
import { sessionRoutes } from "./session-routes.ts";
import { tokenRoutes } from "./token-routes.ts";
import { userRoutes } from "./user-routes.ts";

/** Every REST route; the fuzzer reads this table too. */
export const routes: Route[] = [
  ...sessionRoutes,
  ...userRoutes,
  ...tokenRoutes,
  ...apiRoutes,
  ...cleanupRoutes,
  ...nodeImageRoutes,
  ...auditRoutes,
  ...agentRoutes,
];

export async function handleApi(context: AppContext, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  const facts: RequestFacts = {
    headers: req.headers,
    isEncrypted: "encrypted" in req.socket && req.socket.encrypted === true,
    remoteAddress: req.socket.remoteAddress,
  };
  const address = clientAddress(context.access.origin, facts);
  let audited: { route: Route; request: RouteRequest } | null = null;
  try {
    const matching = routes.filter((route) => route.path.test(pathname));
    if (matching.length === 0) throw new AppError("NOT_FOUND", `no API route ${pathname}`);
    const route = matching.find((candidate) => candidate.method === req.method);
    if (!route) {
      return sendErrorCode(res, "METHOD_NOT_ALLOWED", `${req.method} not allowed on ${pathname}`, {
        allow: matching.map((r) => r.method).join(", "),
      });
    }
    const query = parseQueryString(req.url);
    // Public routes learn who calls too: sign-out ends the caller's session.
    const actor: Actor = await authenticate(context, req.headers, address);
    const method = req.method ?? "GET";
    const forged = checkCsrf({
      method,
      headers: req.headers,
      isCookieAuthenticated: actor.sessionId !== undefined,
      isBearer: actor.kind === "token",
      allowedOrigins: dashboardOrigins(context.access.origin, facts),
    });
    if (forged) {
      context.log.warn(
        {
          actor: actor.name,
          address,
          method,
          pathname,
          origin: req.headers.origin ?? null,
          contentType: req.headers["content-type"] ?? null,
        },
        `request refused: ${forged.message}`,
      );
      throw forged;
    }
    if (!route.isPublic) {
      if (actor.role === null) throw new AppError("UNAUTHORIZED", "sign in, or send Authorization: Bearer <API token>");
      const needed = route.role ?? (req.method === "GET" ? Role.viewer : Role.operator);
      if (!hasRole(actor.role, needed)) {
        if (route.audit)
          await audit(context, route, { params: [], query, body: {}, headers: req.headers, actor }, "denied", undefined, { needed });
        throw new AppError("FORBIDDEN", `${actor.name} is ${actor.role}; this needs ${needed}`);
      }
    }
    const params = route.path.exec(pathname)!.slice(1);
    const body = req.method === "GET" ? {} : await readJson(req);
    const request: RouteRequest = {
      params,
      query,
      body,
      headers: req.headers,
      actor,
      isHttps: isHttpsRequest(context.access.origin, facts),
    };
    if (route.audit) audited = { route, request };
    const result = await route.handle(context, request);
    if (audited) await audit(context, route, request, "ok", result);
    if (result.text !== undefined) sendText(res, result.status, result.text, result.headers);
    else sendJson(res, result.status, result.body, result.headers);
  } catch (caught) {
    const outage = toDatabaseUnavailable(caught);
    if (outage) context.health.markFailed("database", outage);
    const error = outage ?? caught;
    // With the database down the audit write fails too; the caller still gets its answer.
    if (audited && !outage) {
      const message = isAppError(error) ? `${error.code}: ${error.message}` : "internal error";
      // A refusal (403, e.g. PROJECT_NOT_ALLOWED) is a denial, not a failure of the action.
      const outcome = isAppError(error) && error.status === 403 ? "denied" : "failed";
      await audit(context, audited.route, audited.request, outcome, undefined, { error: message.slice(0, 500) }).catch(
        (auditError: unknown) => context.log.error({ err: auditError }, "audit record of a failed request could not be written"),
      );
    }
    sendError(res, error, context.log);
  }
}

async function audit(
  context: AppContext,
  route: Route,
  request: RouteRequest,
  outcome: AuditOutcome,
  result?: RouteResult,
  detail?: Record<string, unknown>,
) {
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

/**
 * The query string, decoded strictly: URLSearchParams would keep a bad %-escape as it is and turn
 * invalid UTF-8 into U+FFFD; here either is a 422 naming the parameter.
 */
function parseQueryString(url: string | undefined): URLSearchParams {
  const start = url?.indexOf("?") ?? -1;
  const query = new URLSearchParams();
  if (start < 0) return query;
  for (const pair of url!.slice(start + 1).split("&")) {
    if (pair === "") continue;
    const equals = pair.indexOf("=");
    const [rawName, rawValue] = equals < 0 ? [pair, ""] : [pair.slice(0, equals), pair.slice(equals + 1)];
    const name = decodeQueryPart(rawName, rawName.slice(0, 64));
    query.append(name, decodeQueryPart(rawValue, name.slice(0, 64)));
  }
  return query;
}

function decodeQueryPart(raw: string, parameter: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, " "));
  } catch {
    throw new AppError("VALIDATION_FAILED", `query parameter ${JSON.stringify(parameter)}: malformed %-escape or invalid UTF-8`);
  }
}
