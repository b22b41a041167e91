// Recognises the caller of a REST request or a /ui socket: the bootstrap API token, a personal
// API token (pct_…), or a server-side session named by the cookie.
import type { IncomingHttpHeaders } from "node:http";
import { Role } from "../../protocol/roles.ts";
import { readCookie, SESSION_COOKIE } from "../http/session.ts";
import { safeEqual, type Secrets } from "../secrets.ts";
import type { Access } from "./access.ts";
import { anonymous, type Actor } from "./actor.ts";

export const BOOTSTRAP_ADMIN = "admin";

export type AuthDeps = { secrets: Secrets; access: Access };

export async function authenticate(deps: AuthDeps, headers: IncomingHttpHeaders, address: string): Promise<Actor> {
  const auth = headers.authorization;
  if (auth !== undefined) {
    // A presented but wrong credential never falls back to the cookie: the caller meant the token.
    return /^Bearer /i.test(auth) ? authenticateToken(deps, auth.slice(7).trim(), address) : anonymous(address);
  }
  const cookie = readCookie(headers.cookie, SESSION_COOKIE);
  if (cookie) {
    const session = await deps.access.sessions.find(cookie);
    if (session)
      return { kind: "user", name: session.userName, role: session.role, address, sessionId: session.id, user: session.userName };
  }
  return anonymous(address);
}

export async function authenticateToken(deps: AuthDeps, token: string, address: string): Promise<Actor> {
  if (token && safeEqual(token, deps.secrets.apiToken))
    return { kind: "token", name: "token:bootstrap", role: Role.admin, address, user: BOOTSTRAP_ADMIN };
  const found = await deps.access.tokens.find(token);
  if (!found) return anonymous(address);
  return { kind: "token", name: `token:${found.name}`, role: found.role, address, tokenId: found.id, user: found.owner };
}
