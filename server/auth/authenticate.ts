// Recognises the caller of a REST request or a /ui socket: bootstrap API token, or session cookie.
import type { IncomingHttpHeaders } from "node:http";
import { Role } from "../../protocol/roles.ts";
import { hasValidSession } from "../http/session.ts";
import { safeEqual, type Secrets } from "../secrets.ts";
import { anonymous, type Actor } from "./actor.ts";

export async function authenticate(context: { secrets: Secrets }, headers: IncomingHttpHeaders, address: string): Promise<Actor> {
  const auth = headers.authorization;
  if (auth?.startsWith("Bearer ") && safeEqual(auth.slice(7).trim(), context.secrets.apiToken)) {
    return { kind: "token", name: "token:bootstrap", role: Role.admin, address };
  }
  if (hasValidSession(headers, context.secrets.sessionSecret)) return { kind: "user", name: "admin", role: Role.admin, address };
  return anonymous(address);
}
