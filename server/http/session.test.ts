import { describe, expect, it } from "vitest";
import { SESSION_COOKIE, clearSessionCookie, createSessionCookie, hasValidSession, isOperator } from "./session.ts";

const SECRET = "session-secret-for-tests";
const NOW = Date.parse("2026-05-01T10:00:00Z");
const HOUR = 3600_000;

/** What a browser sends back: just name=value from the Set-Cookie line. */
function cookieHeader(setCookie: string, extra = ""): string {
  return `${extra}${setCookie.split(";")[0]}`;
}

function cookieValue(setCookie: string): string {
  return setCookie.split(";")[0].slice(SESSION_COOKIE.length + 1);
}

describe("operator sessions", () => {
  it("issues an httpOnly, SameSite cookie that the server accepts back", () => {
    const setCookie = createSessionCookie(SECRET, false, NOW);
    expect(setCookie).toMatch(new RegExp(`^${SESSION_COOKIE}=\\d+\\.[A-Za-z0-9_-]+; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200$`));
    expect(createSessionCookie(SECRET, true, NOW)).toMatch(/; Secure$/);
    expect(hasValidSession({ cookie: cookieHeader(setCookie) }, SECRET, NOW)).toBe(true);
    expect(hasValidSession({ cookie: cookieHeader(setCookie, "theme=dark; other=a=b; ") }, SECRET, NOW + HOUR)).toBe(true);
  });

  it("rejects a session after 12 hours", () => {
    const cookie = cookieHeader(createSessionCookie(SECRET, false, NOW));
    expect(hasValidSession({ cookie }, SECRET, NOW + 12 * HOUR)).toBe(true);
    expect(hasValidSession({ cookie }, SECRET, NOW + 12 * HOUR + 1)).toBe(false);
  });

  it("rejects tampered, foreign and malformed cookies", () => {
    const value = cookieValue(createSessionCookie(SECRET, false, NOW));
    const [expires, mac] = value.split(".");
    const later = String(Number(expires) + 365 * 24 * HOUR);
    const flipped = mac.slice(0, -1) + (mac.endsWith("A") ? "B" : "A");
    for (const forged of [`${later}.${mac}`, `${expires}.${flipped}`, `${expires}.${mac}x`, `${expires}.`, `.${mac}`, expires, ""]) {
      expect(hasValidSession({ cookie: `${SESSION_COOKIE}=${forged}` }, SECRET, NOW), forged).toBe(false);
    }
    expect(hasValidSession({ cookie: `${SESSION_COOKIE}=${value}` }, "another-secret", NOW)).toBe(false);
    expect(hasValidSession({ cookie: `not_${SESSION_COOKIE}=${value}` }, SECRET, NOW)).toBe(false);
    expect(hasValidSession({}, SECRET, NOW)).toBe(false);
  });

  it("clearing sets an empty cookie that expires at once", () => {
    const cleared = clearSessionCookie();
    expect(cleared).toMatch(new RegExp(`^${SESSION_COOKIE}=; .*Max-Age=0`));
    expect(hasValidSession({ cookie: cookieHeader(cleared) }, SECRET, NOW)).toBe(false);
  });

  it("recognises an operator by bearer token or by session", () => {
    const secrets = { apiToken: "api-token", sessionSecret: SECRET };
    expect(isOperator({ authorization: "Bearer api-token" }, secrets)).toBe(true);
    expect(isOperator({ authorization: "Bearer api-token-2" }, secrets)).toBe(false);
    expect(isOperator({ authorization: "Basic api-token" }, secrets)).toBe(false);
    expect(isOperator({ authorization: "Bearer " }, secrets)).toBe(false);
    expect(isOperator({ cookie: cookieHeader(createSessionCookie(SECRET, false)) }, secrets)).toBe(true);
    expect(isOperator({}, secrets)).toBe(false);
  });
});
