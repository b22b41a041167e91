// The compressed artifact as one byte stream, fetched through the proxies in order.
// If a proxy fails before or during the transfer, the next one continues from the
// same byte offset (Range), so gunzip and hashing never restart.
import { Readable } from "node:stream";
import { Agent, ProxyAgent, request, type Dispatcher } from "undici";
import { AgentError } from "../agent-error.ts";

export type ArtifactFetchOptions = {
  url: string;
  /** Proxy URLs tried in order; an empty list means direct. */
  proxies: string[];
  allowDirect: boolean;
  signal?: AbortSignal;
  /** Time allowed without receiving a byte. */
  idleTimeoutMs?: number;
  onRoute?: (route: string, offset: number) => void;
  refreshCache?: boolean;
};

const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

type Route = { label: string; dispatcher: Dispatcher };

const dispatchers = new Map<string, Dispatcher>();

function dispatcherFor(proxy: string | null, idleTimeoutMs: number): Dispatcher {
  const key = `${proxy ?? "direct"}|${idleTimeoutMs}`;
  let dispatcher = dispatchers.get(key);
  if (!dispatcher) {
    const timeouts = { headersTimeout: idleTimeoutMs, bodyTimeout: idleTimeoutMs };
    // proxyTunnel: false sends a plain `GET http://origin/...` to the proxy. undici 7 defaults to a
    // CONNECT tunnel even for http:// URLs, and Squid cannot cache what it tunnels.
    dispatcher = proxy ? new ProxyAgent({ uri: proxy, proxyTunnel: false, ...timeouts }) : new Agent(timeouts);
    dispatchers.set(key, dispatcher);
  }
  return dispatcher;
}

export function routesFor(options: ArtifactFetchOptions): Route[] {
  const idle = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const routes = options.proxies.map((proxy) => ({ label: proxy, dispatcher: dispatcherFor(proxy, idle) }));
  if (routes.length === 0 || options.allowDirect) routes.push({ label: "direct", dispatcher: dispatcherFor(null, idle) });
  return routes;
}

export function artifactStream(options: ArtifactFetchOptions): Readable {
  return Readable.from(artifactChunks(options), { objectMode: false, highWaterMark: 1 << 20 });
}

async function* artifactChunks(options: ArtifactFetchOptions): AsyncGenerator<Buffer> {
  const routes = routesFor(options);
  const idle = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const failures: string[] = [];
  let offset = 0;
  let totalBytes: number | null = null;
  for (const route of routes) {
    if (options.signal?.aborted) throw new AgentError("ABORTED", "download aborted");
    options.onRoute?.(route.label, offset);
    let response: Dispatcher.ResponseData;
    try {
      response = await request(options.url, {
        dispatcher: route.dispatcher,
        signal: options.signal,
        // Also per request: a non-tunnelling ProxyAgent does not hand its timeouts to the proxy pool.
        headersTimeout: idle,
        bodyTimeout: idle,
        headers: {
          ...(offset > 0 ? { range: `bytes=${offset}-` } : {}),
          // A cached copy that failed verification is replaced, not served again.
          ...(options.refreshCache ? { "cache-control": "no-cache", pragma: "no-cache" } : {}),
        },
      });
    } catch (error) {
      if (options.signal?.aborted) throw new AgentError("ABORTED", "download aborted", { cause: error });
      failures.push(`${route.label}: ${describe(error)}`);
      continue;
    }
    const { statusCode } = response;
    if (statusCode >= 500 || statusCode === 407) {
      await response.body.dump().catch(() => undefined);
      failures.push(`${route.label}: HTTP ${statusCode}`);
      continue;
    }
    if (statusCode !== 200 && statusCode !== 206) {
      await response.body.dump().catch(() => undefined);
      throw new AgentError("HTTP_ERROR", `GET ${options.url} via ${route.label} answered HTTP ${statusCode}`);
    }
    totalBytes ??= contentTotal(response.headers, statusCode);
    // A 200 to a ranged request restarts at byte 0: skip what we already have.
    let skip = statusCode === 200 ? offset : 0;
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        let piece = chunk;
        if (skip > 0) {
          const dropped = Math.min(skip, piece.length);
          skip -= dropped;
          piece = piece.subarray(dropped);
          if (piece.length === 0) continue;
        }
        offset += piece.length;
        yield piece;
      }
    } catch (error) {
      if (options.signal?.aborted) throw new AgentError("ABORTED", "download aborted", { cause: error });
      failures.push(`${route.label}: broke after ${offset} bytes (${describe(error)})`);
      continue;
    }
    if (totalBytes !== null && offset < totalBytes) {
      failures.push(`${route.label}: ended after ${offset} of ${totalBytes} bytes`);
      continue;
    }
    return;
  }
  throw new AgentError("FETCH_FAILED", `could not fetch ${options.url}: ${failures.join("; ")}`, { isRetryable: true });
}

function contentTotal(headers: Dispatcher.ResponseData["headers"], status: number): number | null {
  if (status === 206) {
    const match = /\/(\d+)$/.exec(String(headers["content-range"] ?? ""));
    return match ? Number(match[1]) : null;
  }
  const header = headers["content-length"];
  return header === undefined ? null : Number(header);
}

function describe(error: unknown): string {
  const err = error as { code?: string; message?: string };
  return [err.code, err.message].filter(Boolean).join(" ") || String(error);
}
