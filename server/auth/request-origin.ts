// What the server knows about where a browser request comes from: whether the dashboard is
// served over https, which origin is its own, and the client's address (behind a trusted proxy,
// the one that proxy saw).
import type { IncomingHttpHeaders } from "node:http";

export type OriginSettings = {
  /** PRECACHE_DASHBOARD_URL: the origin operators open, when a proxy in front rewrites Host. */
  dashboardUrl?: string;
  /** PRECACHE_TRUST_PROXY: believe X-Forwarded-Proto and X-Forwarded-For. */
  trustProxy?: boolean;
};

export type RequestFacts = { headers: IncomingHttpHeaders; isEncrypted: boolean; remoteAddress?: string };

/** Whether cookies must be Secure: TLS here, https at the trusted proxy, or an https dashboard URL. */
export function isHttpsRequest(settings: OriginSettings, request: RequestFacts): boolean {
  if (request.isEncrypted) return true;
  if (settings.trustProxy && firstHeader(request.headers["x-forwarded-proto"])?.split(",")[0].trim().toLowerCase() === "https") return true;
  return Boolean(settings.dashboardUrl?.startsWith("https://"));
}

/** The origins the dashboard itself is served from: the configured URL, and this request's Host. */
export function dashboardOrigins(settings: OriginSettings, request: RequestFacts): string[] {
  const origins: string[] = [];
  if (settings.dashboardUrl) origins.push(new URL(settings.dashboardUrl).origin);
  const host = firstHeader(request.headers.host);
  if (host && /^[A-Za-z0-9.\-:[\]]{1,300}$/.test(host)) {
    const scheme = request.isEncrypted || (settings.trustProxy && isHttpsRequest({ trustProxy: true }, request)) ? "https" : "http";
    try {
      origins.push(new URL(`${scheme}://${host}`).origin);
    } catch {
      // a Host no URL can hold matches no Origin either
    }
  }
  return origins;
}

/** Whether a browser request says it comes from the dashboard's own origin. */
export function isSameOrigin(headers: IncomingHttpHeaders, allowedOrigins: string[]): boolean {
  if (firstHeader(headers["sec-fetch-site"]) === "same-origin") return true;
  const origin = firstHeader(headers.origin);
  return origin !== undefined && origin !== "null" && allowedOrigins.includes(origin);
}

/**
 * Whether a GET (a socket handshake) says it comes from another origin. Browsers may omit Origin
 * on same-origin GETs, so only a foreign Origin or Sec-Fetch-Site condemns one.
 */
export function isForeignOrigin(headers: IncomingHttpHeaders, allowedOrigins: string[]): boolean {
  const site = firstHeader(headers["sec-fetch-site"]);
  if (site === "same-origin") return false;
  const origin = firstHeader(headers.origin);
  if (origin !== undefined) return !allowedOrigins.includes(origin);
  return site !== undefined && site !== "none";
}

export function clientAddress(settings: OriginSettings, request: RequestFacts): string {
  const direct = request.remoteAddress ?? "unknown";
  if (!settings.trustProxy) return direct;
  // The last hop is the one our proxy appended; earlier entries are whatever the client claimed.
  const forwarded = firstHeader(request.headers["x-forwarded-for"])
    ?.split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  const last = forwarded?.at(-1);
  return last && last.length <= 64 ? last : direct;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
