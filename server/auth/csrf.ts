// Cross-site request forgery: a state change that rides on the session cookie must come from the
// dashboard's own pages (same-origin Origin, or Sec-Fetch-Site) and carry JSON. Forms and
// "simple" cross-site fetches can send text/plain or form bodies with the cookie, never
// application/json without a CORS preflight we do not grant. Bearer calls carry no ambient
// credential and are exempt.
import type { IncomingHttpHeaders } from "node:http";
import { AppError } from "../errors.ts";
import { isSameOrigin } from "./request-origin.ts";

export type CsrfFacts = {
  method: string;
  headers: IncomingHttpHeaders;
  /** The request is authenticated by the session cookie (not a Bearer token). */
  isCookieAuthenticated: boolean;
  /** The request authenticated with Authorization: Bearer. */
  isBearer: boolean;
  allowedOrigins: string[];
};

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** null when the request may go on; otherwise the error to answer with. */
export function checkCsrf(facts: CsrfFacts): AppError | null {
  if (SAFE_METHODS.has(facts.method) || facts.isBearer) return null;
  const origin = facts.headers.origin;
  const isBrowser = origin !== undefined || facts.headers["sec-fetch-site"] !== undefined;
  // Cookie-authenticated: the browser must say where it comes from. Anonymous (sign-in): only a
  // browser that says so is held to it, so scripts can still sign in without an Origin.
  if ((facts.isCookieAuthenticated || isBrowser) && !isSameOrigin(facts.headers, facts.allowedOrigins)) {
    const why =
      origin === undefined
        ? "no Origin or Sec-Fetch-Site header: a cookie-authenticated change must say where it comes from"
        : `Origin ${JSON.stringify(origin)} is not the dashboard's`;
    return new AppError("FORBIDDEN", `cross-origin request refused (${why})`);
  }
  if (!isJson(facts.headers["content-type"])) {
    return new AppError("UNSUPPORTED_MEDIA_TYPE", "send the body as Content-Type: application/json");
  }
  return null;
}

function isJson(contentType: string | undefined): boolean {
  return contentType?.split(";")[0].trim().toLowerCase() === "application/json";
}
