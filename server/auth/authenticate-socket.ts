// Who opens a /ui socket: a token in the handshake's auth (bootstrap or personal; scripts), or a
// browser with a live session cookie whose Origin is the dashboard's own. A cross-origin page
// is refused even with the cookie (another port on the same host is same-site, not same-origin).
import type { IncomingHttpHeaders } from "node:http";
import { readCookie, SESSION_COOKIE } from "../http/session.ts";
import type { Actor } from "./actor.ts";
import { authenticateToken, type AuthDeps } from "./authenticate.ts";
import { clientAddress, dashboardOrigins, isForeignOrigin, type RequestFacts } from "./request-origin.ts";

export type SocketHandshake = { headers: IncomingHttpHeaders; auth: unknown; address: string; secure: boolean };

export type SocketVerdict = { ok: true; actor: Actor } | { ok: false; message: string };

export async function authenticateUiSocket(deps: AuthDeps, handshake: SocketHandshake): Promise<SocketVerdict> {
  const facts: RequestFacts = { headers: handshake.headers, isEncrypted: handshake.secure, remoteAddress: handshake.address };
  const address = clientAddress(deps.access.origin, facts);
  const token = (handshake.auth as { token?: unknown } | null | undefined)?.token;
  if (typeof token === "string") {
    const actor = await authenticateToken(deps, token, address);
    return actor.role ? { ok: true, actor } : { ok: false, message: "unauthorized: unknown token" };
  }
  const cookie = readCookie(handshake.headers.cookie, SESSION_COOKIE);
  const session = cookie ? await deps.access.sessions.find(cookie) : null;
  if (!session) return { ok: false, message: "unauthorized: sign in first" };
  if (isForeignOrigin(handshake.headers, dashboardOrigins(deps.access.origin, facts))) {
    return { ok: false, message: `forbidden: cross-origin socket from ${JSON.stringify(handshake.headers.origin ?? null)}` };
  }
  return {
    ok: true,
    actor: { kind: "user", name: session.userName, role: session.role, address, sessionId: session.id, user: session.userName },
  };
}
