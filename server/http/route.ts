// What a REST route declares: method, path, the least role that may call it, and how a call is
// written to the audit trail. The router (handle-api.ts) enforces the role and records the audit.
import type { IncomingHttpHeaders } from "node:http";
import type { Role } from "../../protocol/roles.ts";
import type { Actor } from "../auth/actor.ts";
import type { AppContext } from "../context.ts";

/** `text` is sent as it is (with a content-type header) instead of `body` as JSON. */
export type RouteResult = { status: number; body: unknown; text?: string; headers?: Record<string, string | string[]> };

export type RouteRequest = {
  params: string[];
  /** The URL's query string (never decoded into the path parameters). */
  query: URLSearchParams;
  body: unknown;
  headers: IncomingHttpHeaders;
  actor: Actor;
  /** The dashboard is being served over https here (TLS, trusted proxy, or an https dashboard URL). */
  isHttps?: boolean;
};

export type RouteAudit = {
  /** "<area>.<verb>", e.g. "rollout.create". */
  action: string;
  /** What the call acts on (an id or a name), from the path parameters and the body. */
  target?(request: RouteRequest, result?: RouteResult): string | null | undefined;
  imageId?(request: RouteRequest, result?: RouteResult): string | null | undefined;
};

export type Route = {
  method: "GET" | "POST" | "DELETE";
  path: RegExp;
  /** Public routes skip authentication (sign-in itself, health). */
  isPublic?: boolean;
  /** The least role allowed; default: viewer for GET, operator otherwise. */
  role?: Role;
  /** Calls of this route go to the audit trail (every state change must have one). */
  audit?: RouteAudit;
  handle(context: AppContext, request: RouteRequest): Promise<RouteResult>;
};
