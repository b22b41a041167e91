// Sign-in and sessions: POST /api/session opens a server-side session (cookie), DELETE ends it;
// /api/sessions lists live sessions (one's own; admins see all) and revokes them.
import { type SessionRow, signInRequest } from "../../protocol/api/access.ts";
import { errorBodyOf } from "../../protocol/api/error-body.ts";
import { statusOf } from "../../protocol/errors.ts";
import { hasRole, Role } from "../../protocol/roles.ts";
import { recordAudit } from "../audit/record-audit.ts";
import type { Actor } from "../auth/actor.ts";
import { signIn } from "../auth/sign-in.ts";
import type { SessionView } from "../auth/session-store.ts";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import type { Route, RouteRequest, RouteResult } from "./route.ts";
import { clearSessionCookie, sessionCookie } from "./session.ts";

export const sessionRoutes: Route[] = [
  {
    method: "GET",
    path: /^\/api\/session$/,
    isPublic: true,
    handle: async (_context, { actor }) => ({
      status: 200,
      body:
        actor.role === null
          ? { authenticated: false }
          : { authenticated: true, user: { name: actor.user ?? actor.name, role: actor.role, via: actor.sessionId ? "session" : "token" } },
    }),
  },
  {
    method: "POST",
    path: /^\/api\/session$/,
    isPublic: true,
    handle: async (context, { body, headers, actor, isHttps }): Promise<RouteResult> => {
      const { username, password, domain } = signInRequest.parse(body);
      const userAgent = typeof headers["user-agent"] === "string" ? headers["user-agent"] : undefined;
      const verdict = await signIn(context, { username, password, domain, address: actor.address, userAgent });
      if (!verdict.ok) {
        const isThrottled = verdict.retryAfterSeconds !== undefined;
        context.log.warn({ account: verdict.account, address: actor.address, reason: verdict.reason }, "dashboard sign-in refused");
        await recordAudit(context, {
          actor: verdict.account,
          address: actor.address,
          action: "session.sign-in",
          target: verdict.account,
          outcome: "denied",
          detail: { reason: verdict.reason },
        });
        if (isThrottled) {
          const message = `too many failed sign-ins; try again in ${verdict.retryAfterSeconds} s`;
          return {
            status: statusOf("TOO_MANY_REQUESTS"),
            body: errorBodyOf("TOO_MANY_REQUESTS", message),
            headers: { "retry-after": String(verdict.retryAfterSeconds) },
          };
        }
        throw new AppError("UNAUTHORIZED", "wrong password or unknown user");
      }
      const { user } = verdict;
      await recordAudit(context, {
        actor: user.name,
        address: actor.address,
        action: "session.sign-in",
        target: user.name,
        outcome: "ok",
        detail: { source: user.source, role: user.role },
      });
      return {
        status: 200,
        body: { authenticated: true, user },
        headers: { "set-cookie": sessionCookie(verdict.cookieValue, isHttps ?? false) },
      };
    },
  },
  {
    method: "DELETE",
    path: /^\/api\/session$/,
    isPublic: true,
    handle: async (context, { actor, isHttps }) => {
      if (actor.sessionId) {
        await context.access.sessions.revoke(actor.sessionId);
        await recordAudit(context, {
          actor: actor.name,
          address: actor.address,
          action: "session.sign-out",
          target: actor.name,
          outcome: "ok",
        });
      }
      return { status: 200, body: { authenticated: false }, headers: { "set-cookie": clearSessionCookie(isHttps ?? false) } };
    },
  },
  {
    method: "GET",
    path: /^\/api\/sessions$/,
    role: Role.viewer,
    handle: async (context, { actor }) => {
      const sessions = await context.access.sessions.list(seesAll(actor) ? undefined : ownerOf(actor));
      return { status: 200, body: { sessions: sessions.map((session) => toSessionBody(session, actor)) } };
    },
  },
  {
    method: "DELETE",
    path: /^\/api\/sessions\/([0-9a-f]{64})$/,
    role: Role.viewer,
    audit: { action: "session.revoke", target: ({ params }) => params[0].slice(0, 12) },
    handle: async (context, request) => {
      const session = await findOwnSession(context, request);
      await context.access.sessions.revoke(session.id);
      return { status: 200, body: { revoked: true } };
    },
  },
];

function seesAll(actor: Actor): boolean {
  return actor.role !== null && hasRole(actor.role, Role.admin);
}

function ownerOf(actor: Actor): string {
  return actor.user ?? actor.name;
}

/** A session the caller may revoke; someone else's answers 404 to a non-admin, as if absent. */
async function findOwnSession(context: AppContext, { params, actor }: RouteRequest): Promise<SessionView> {
  const session = await context.access.sessions.get(params[0]);
  if (!session || (!seesAll(actor) && session.userName !== ownerOf(actor))) throw new AppError("NOT_FOUND", "no such session");
  return session;
}

/** The contract's row: times as ISO text, exactly as JSON would write the Dates. */
function toSessionBody(session: SessionView, actor: Actor): SessionRow {
  return {
    ...session,
    createdAt: session.createdAt.toISOString(),
    lastSeenAt: session.lastSeenAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    isCurrent: session.id === actor.sessionId,
  };
}
