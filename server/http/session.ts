// Operator sessions: an httpOnly cookie holding an expiry and its HMAC. No server-side store,
// so sessions survive a restart; changing PRECACHE_SESSION_SECRET signs everyone out.
import crypto from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { safeEqual } from "../secrets.ts";

export const SESSION_COOKIE = "precache_session";
const SESSION_MS = 12 * 3600 * 1000;

export function createSessionCookie(secret: string, secure: boolean, now = Date.now()): string {
  const expires = now + SESSION_MS;
  const value = `${expires}.${sign(secret, String(expires))}`;
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_MS / 1000}${secure ? "; Secure" : ""}`;
}

export function clearSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
}

export function hasValidSession(headers: IncomingHttpHeaders, secret: string, now = Date.now()): boolean {
  const value = readCookie(headers.cookie, SESSION_COOKIE);
  if (!value) return false;
  const [expires, mac] = value.split(".");
  if (!expires || !mac || Number(expires) < now) return false;
  return safeEqual(mac, sign(secret, expires));
}

/** Bearer token or session cookie: the two ways an operator is recognised. */
export function isOperator(headers: IncomingHttpHeaders, secrets: { apiToken: string; sessionSecret: string }): boolean {
  const auth = headers.authorization;
  if (auth?.startsWith("Bearer ") && safeEqual(auth.slice(7).trim(), secrets.apiToken)) return true;
  return hasValidSession(headers, secrets.sessionSecret);
}

function sign(secret: string, value: string): string {
  return crypto.createHmac("sha256", secret).update(value).digest("base64url");
}

function readCookie(header: string | undefined, name: string): string | null {
  for (const part of header?.split(";") ?? []) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return rest.join("=");
  }
  return null;
}
