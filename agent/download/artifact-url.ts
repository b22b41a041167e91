// The agent fetches only what the server's own origin publishes: an artifact URL must lie under
// the artifact base URL the server announced (same scheme, host and port, under its path), so
// whoever can send commands cannot make every hypervisor request other URLs (blind SSRF).
import { AgentError } from "../agent-error.ts";

/** Why `url` is not an artifact under `base`, or null when it is. */
export function artifactUrlProblem(url: string, base: string): string | null {
  if (!base) return "the server has announced no artifact base URL yet";
  let parsed: URL;
  let baseUrl: URL;
  try {
    parsed = new URL(url);
    baseUrl = new URL(base);
  } catch {
    return "not a valid URL";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return `scheme ${parsed.protocol} is not http or https`;
  if (parsed.username || parsed.password) return "it carries credentials";
  if (parsed.protocol !== baseUrl.protocol || parsed.host !== baseUrl.host) return `it is not on the announced origin ${baseUrl.origin}`;
  // Judge the text as sent, not only as parsed: the URL parser resolves "..", "%2e%2e" and "\" away.
  const rawPath = /^[a-z]+:\/\/[^/?#\\]*([^?#]*)/i.exec(url)?.[1] ?? "";
  if (/\\|%2f|%5c|%2e|%00/i.test(rawPath)) return "its path has encoded slashes, dots or backslashes";
  if (rawPath.split("/").some((segment) => segment === "." || segment === "..")) return "its path has dot segments";
  if (parsed.search || parsed.hash || url.includes("?") || url.includes("#")) return "it has a query or fragment";
  const prefix = baseUrl.pathname.endsWith("/") ? baseUrl.pathname : `${baseUrl.pathname}/`;
  if (!parsed.pathname.startsWith(prefix) || parsed.pathname === prefix) return `its path is not under ${prefix}`;
  return null;
}

export function assertArtifactUrl(url: string, base: string): void {
  const problem = artifactUrlProblem(url, base);
  if (problem) throw new AgentError("INVALID_COMMAND", `artifact URL ${JSON.stringify(url.slice(0, 300))} refused: ${problem}`);
}
