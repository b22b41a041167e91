import { describe, expect, it } from "vitest";
import { checkCsrf, type CsrfFacts } from "./csrf.ts";
import { clientAddress, dashboardOrigins, isHttpsRequest } from "./request-origin.ts";

const OWN = "http://127.0.0.1:3000";
const json = { "content-type": "application/json; charset=utf-8" };

function decide(facts: Partial<CsrfFacts>): string | null {
  const error = checkCsrf({ method: "POST", headers: {}, isCookieAuthenticated: true, isBearer: false, allowedOrigins: [OWN], ...facts });
  return error ? `${error.status} ${error.code}` : null;
}

describe("CSRF decisions", () => {
  it("lets the dashboard's own JSON requests through", () => {
    expect(decide({ headers: { origin: OWN, ...json } })).toBeNull();
    expect(decide({ headers: { "sec-fetch-site": "same-origin", ...json } })).toBeNull();
    expect(decide({ method: "DELETE", headers: { origin: OWN, "content-type": "application/json" } })).toBeNull();
  });

  it("refuses cookie-authenticated changes from another origin, a missing Origin or a same-site page", () => {
    expect(decide({ headers: { origin: "http://127.0.0.1:3001", ...json } })).toBe("403 FORBIDDEN");
    expect(decide({ headers: { origin: "http://127.0.0.1:3001", "sec-fetch-site": "same-site", ...json } })).toBe("403 FORBIDDEN");
    expect(decide({ headers: { origin: "null", ...json } })).toBe("403 FORBIDDEN");
    expect(decide({ headers: { ...json } })).toBe("403 FORBIDDEN");
  });

  it("refuses bodies that are not JSON (text/plain and forms need no preflight)", () => {
    expect(decide({ headers: { origin: OWN, "content-type": "text/plain" } })).toBe("415 UNSUPPORTED_MEDIA_TYPE");
    expect(decide({ headers: { origin: OWN, "content-type": "application/x-www-form-urlencoded" } })).toBe("415 UNSUPPORTED_MEDIA_TYPE");
    expect(decide({ headers: { origin: OWN, "content-type": "application/jsonx" } })).toBe("415 UNSUPPORTED_MEDIA_TYPE");
    expect(decide({ headers: { origin: OWN } })).toBe("415 UNSUPPORTED_MEDIA_TYPE");
  });

  it("exempts reads and Bearer calls", () => {
    expect(decide({ method: "GET", headers: { origin: "http://evil.example" } })).toBeNull();
    expect(decide({ isBearer: true, isCookieAuthenticated: false, headers: { "content-type": "text/plain" } })).toBeNull();
  });

  it("holds a browser's sign-in to its origin, and a script's to JSON only", () => {
    const anonymous = { isCookieAuthenticated: false };
    expect(decide({ ...anonymous, headers: { ...json } })).toBeNull();
    expect(decide({ ...anonymous, headers: { "content-type": "text/plain" } })).toBe("415 UNSUPPORTED_MEDIA_TYPE");
    expect(decide({ ...anonymous, headers: { origin: "http://evil.example", ...json } })).toBe("403 FORBIDDEN");
    expect(decide({ ...anonymous, headers: { "sec-fetch-site": "cross-site", ...json } })).toBe("403 FORBIDDEN");
  });
});

describe("the dashboard's origin and scheme", () => {
  const plain = { headers: { host: "127.0.0.1:3000" }, isEncrypted: false, remoteAddress: "10.0.0.5" };

  it("derives the own origin from Host and the configured dashboard URL", () => {
    expect(dashboardOrigins({}, plain)).toEqual([OWN]);
    expect(dashboardOrigins({}, { ...plain, isEncrypted: true })).toEqual(["https://127.0.0.1:3000"]);
    expect(dashboardOrigins({ dashboardUrl: "https://precache.example.org/base" }, plain)).toEqual(["https://precache.example.org", OWN]);
    expect(dashboardOrigins({}, { ...plain, headers: { host: "bad host/" } })).toEqual([]);
  });

  it("serves Secure cookies over TLS, behind a trusted https proxy, or for an https dashboard URL only", () => {
    const forwarded = { ...plain, headers: { ...plain.headers, "x-forwarded-proto": "https" } };
    expect(isHttpsRequest({}, plain)).toBe(false);
    expect(isHttpsRequest({}, { ...plain, isEncrypted: true })).toBe(true);
    expect(isHttpsRequest({}, forwarded)).toBe(false);
    expect(isHttpsRequest({ trustProxy: true }, forwarded)).toBe(true);
    expect(isHttpsRequest({ dashboardUrl: "https://precache.example.org" }, plain)).toBe(true);
    expect(isHttpsRequest({ dashboardUrl: "http://precache.example.org" }, plain)).toBe(false);
  });

  it("takes the client address from the trusted proxy's last hop only", () => {
    const forwarded = { ...plain, headers: { "x-forwarded-for": "1.2.3.4, 192.0.2.7" } };
    expect(clientAddress({}, forwarded)).toBe("10.0.0.5");
    expect(clientAddress({ trustProxy: true }, forwarded)).toBe("192.0.2.7");
    expect(clientAddress({ trustProxy: true }, plain)).toBe("10.0.0.5");
  });
});
