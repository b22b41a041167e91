import { describe, expect, it } from "vitest";
import { SESSION_COOKIE, clearSessionCookie, readCookie, sessionCookie } from "./session.ts";

describe("the session cookie", () => {
  it("is HttpOnly and SameSite=Lax, Secure when asked, for 12 hours", () => {
    expect(sessionCookie("abc", false)).toBe(`${SESSION_COOKIE}=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200`);
    expect(sessionCookie("abc", true)).toMatch(/; HttpOnly; SameSite=Lax; Max-Age=43200; Secure$/);
  });

  it("clears with an empty value that expires at once", () => {
    expect(clearSessionCookie(false)).toMatch(new RegExp(`^${SESSION_COOKIE}=; .*Max-Age=0$`));
    expect(clearSessionCookie(true)).toMatch(/Max-Age=0; Secure$/);
  });

  it("is read back from among other cookies, never from a similar name", () => {
    expect(readCookie(`theme=dark; other=a=b; ${SESSION_COOKIE}=v1`, SESSION_COOKIE)).toBe("v1");
    expect(readCookie(`not_${SESSION_COOKIE}=v1`, SESSION_COOKIE)).toBeNull();
    expect(readCookie(undefined, SESSION_COOKIE)).toBeNull();
    expect(readCookie(`${SESSION_COOKIE}=${"x".repeat(9000)}`, SESSION_COOKIE)).toBeNull();
  });
});
