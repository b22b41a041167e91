// The dashboard's session cookie: an opaque random value naming a server-side session
// (auth/session-store.ts). HttpOnly and SameSite=Lax always; Secure whenever the dashboard is
// served over https.
import { SESSION_TTL_MS } from "../auth/session-store.ts";

export const SESSION_COOKIE = "precache_session";

export function sessionCookie(value: string, isSecure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_TTL_MS / 1000}${isSecure ? "; Secure" : ""}`;
}

export function clearSessionCookie(isSecure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${isSecure ? "; Secure" : ""}`;
}

export function readCookie(header: string | undefined, name: string): string | null {
  if (!header || header.length > 8192) return null;
  for (const part of header.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return rest.join("=");
  }
  return null;
}
