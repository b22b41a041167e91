// The compressed artifact as one byte stream, fetched from peers of the group (when the server
// named some), then through the proxies in order. A break at byte N continues from N (Range): on
// the same proxy first, then on the next, with backoff, until nothing has arrived for the retry
// budget; a peer that fails or stalls is dropped at once for the next source, from the same byte.
// Gunzip and hashing never restart.
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent, ProxyAgent, request, type Dispatcher } from "undici";
import { AgentError } from "../agent-error.ts";
import { releaseFinalChunk } from "./release-final-chunk.ts";
import { DEFAULT_RESUME_POLICY, isComplete, nextResumeStep, type ResumePolicy } from "./resume-policy.ts";
import { createPacer, type Pacer } from "./throttle.ts";

export type ArtifactFetchOptions = {
  url: string;
  /** Proxy URLs tried in order; an empty list means direct. */
  proxies: string[];
  allowDirect: boolean;
  signal?: AbortSignal;
  /** Time allowed without receiving a byte, per request (then it resumes). */
  idleTimeoutMs?: number;
  /** Called before every request: the route and the byte it starts from. */
  onRoute?: (route: string, offset: number) => void;
  refreshCache?: boolean;
  /** Cap on compressed bytes per second, applied where the body is read. */
  bandwidthBytesPerSecond?: number | null;
  /** Overrides of the resume policy (budget, backoff). */
  resume?: Partial<ResumePolicy>;
  /**
   * Where a resumed request starts, at or before the bytes already received (a sealed artifact's
   * chunk boundary); what it re-sends up to them is skipped. Default: exactly where it broke.
   */
  resumeFrom?: (receivedBytes: number) => number;
  /** Group members holding the artifact, tried first, each once; `url` is the artifact on the peer. */
  peers?: { name: string; url: string; token: string }[];
  /** Bytes received per source ("peer:<name>" or the proxy URL), as they arrive. */
  onSourceBytes?: (source: string, bytes: number) => void;
  /**
   * The artifact's size, when known: a source that sends more fails the download with
   * SIZE_MISMATCH (its bytes counted first, so the server knows whom to stop trusting).
   */
  maxBytes?: number | null;
};

/** A peer silent this long is dropped for the next source (a proxy keeps the full idle timeout). */
const PEER_IDLE_TIMEOUT_MS = 10_000;

const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** Bytes of a response undici buffers ahead of the agent before it stops reading the socket. */
export const RESPONSE_BUFFER_BYTES = 64 * 1024;
const FAILURES_KEPT = 6;

type Route = { label: string; dispatcher: Dispatcher; peer?: { url: string; token: string } };

const dispatchers = new Map<string, Dispatcher>();

function dispatcherFor(proxy: string | null, idleTimeoutMs: number): Dispatcher {
  const key = `${proxy ?? "direct"}|${idleTimeoutMs}`;
  let dispatcher = dispatchers.get(key);
  if (!dispatcher) {
    const timeouts = { headersTimeout: idleTimeoutMs, bodyTimeout: idleTimeoutMs };
    // proxyTunnel: false sends a plain `GET http://origin/...` to the proxy. undici 7 defaults to a
    // CONNECT tunnel even for http:// URLs, and Squid cannot cache what it tunnels.
    const connections = proxy ? new ProxyAgent({ uri: proxy, proxyTunnel: false, ...timeouts }) : new Agent(timeouts);
    dispatcher = connections.compose(releaseFinalChunk);
    dispatchers.set(key, dispatcher);
  }
  return dispatcher;
}

export function routesFor(options: ArtifactFetchOptions): Route[] {
  const idle = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const peers: Route[] = (options.peers ?? []).map((peer) => ({
    label: `peer:${peer.name}`,
    dispatcher: dispatcherFor(null, PEER_IDLE_TIMEOUT_MS),
    peer: { url: peer.url, token: peer.token },
  }));
  const routes: Route[] = options.proxies.map((proxy) => ({ label: proxy, dispatcher: dispatcherFor(proxy, idle) }));
  if (routes.length === 0 || options.allowDirect) routes.push({ label: "direct", dispatcher: dispatcherFor(null, idle) });
  return [...peers, ...routes];
}

export function artifactStream(options: ArtifactFetchOptions): Readable {
  return Readable.from(artifactChunks(options), { objectMode: false, highWaterMark: 1 << 20 });
}

type Attempt = { outcome: "done" } | { outcome: "failed"; isRouteDown: boolean; reason: string };

export async function* artifactChunks(options: ArtifactFetchOptions): AsyncGenerator<Buffer> {
  const routes = routesFor(options);
  const policy = { ...DEFAULT_RESUME_POLICY, ...options.resume };
  const pacer = options.bandwidthBytesPerSecond ? createPacer(options.bandwidthBytesPerSecond) : null;
  const progress = { offset: 0, totalBytes: null as number | null, lastByteAt: performance.now() };
  const failures: string[] = [];
  let routeIndex = 0;
  let triesOnRoute = 0;
  let failuresInRow = 0;
  for (;;) {
    assertNotAborted(options.signal);
    const route = routes[routeIndex];
    const offsetBefore = progress.offset;
    const attempt = yield* fetchFrom(route, options, progress, pacer);
    if (attempt.outcome === "done") return;
    failures.push(`${route.label}: ${attempt.reason}`);
    if (failures.length > FAILURES_KEPT) failures.shift();
    if (route.peer) {
      // Dropped for good: the next source (another peer, then the proxies) continues at once.
      routes.splice(routeIndex, 1);
      triesOnRoute = 0;
      continue;
    }
    // Bytes arrived since the last failure: the backoff starts over.
    if (progress.offset > offsetBefore) failuresInRow = 0;
    failuresInRow++;
    triesOnRoute++;
    const step = nextResumeStep(
      {
        routeCount: routes.length,
        routeIndex,
        triesOnRoute,
        failuresInRow,
        sinceProgressMs: performance.now() - progress.lastByteAt,
        isRouteDown: attempt.isRouteDown,
      },
      policy,
    );
    if (step.action === "give-up") {
      const seconds = Math.round(policy.budgetMs / 1000);
      throw new AgentError(
        "FETCH_FAILED",
        `could not fetch ${options.url} (no progress for the ${seconds} s retry budget, ${progress.offset} bytes kept): ${failures.join("; ")}`,
        { isRetryable: true },
      );
    }
    if (step.routeIndex !== routeIndex) triesOnRoute = 0;
    routeIndex = step.routeIndex;
    if (step.delayMs > 0) await sleep(step.delayMs, undefined, { signal: options.signal }).catch(() => assertNotAborted(options.signal));
  }
}

/**
 * One request on one route from the current offset. Errors of the consumer (gunzip, disk, hash)
 * arrive at `yield` and propagate unchanged: they are local, not the route's fault.
 */
async function* fetchFrom(
  route: Route,
  options: ArtifactFetchOptions,
  progress: { offset: number; totalBytes: number | null; lastByteAt: number },
  pacer: Pacer | null,
): AsyncGenerator<Buffer, Attempt> {
  const idle = route.peer ? PEER_IDLE_TIMEOUT_MS : (options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
  const start = progress.offset > 0 ? Math.min(progress.offset, Math.max(0, options.resumeFrom?.(progress.offset) ?? progress.offset)) : 0;
  options.onRoute?.(route.label, start);
  let response: Dispatcher.ResponseData;
  try {
    response = await request(route.peer?.url ?? options.url, {
      dispatcher: route.dispatcher,
      signal: options.signal,
      // Also per request: a non-tunnelling ProxyAgent does not hand its timeouts to the proxy pool.
      headersTimeout: idle,
      bodyTimeout: idle,
      highWaterMark: RESPONSE_BUFFER_BYTES,
      headers: {
        ...(progress.offset > 0 ? { range: `bytes=${start}-` } : {}),
        ...(route.peer ? { authorization: `Bearer ${route.peer.token}` } : {}),
        // A cached copy that failed verification is replaced, not served again.
        ...(options.refreshCache ? { "cache-control": "no-cache", pragma: "no-cache" } : {}),
      },
    });
  } catch (error) {
    assertNotAborted(options.signal, error);
    return { outcome: "failed", isRouteDown: true, reason: describe(error) };
  }
  const { statusCode } = response;
  // A peer that does not (or no longer) hold the artifact, or is busy: the next source.
  if (route.peer && statusCode !== 200 && statusCode !== 206) {
    await response.body.dump().catch(() => undefined);
    return { outcome: "failed", isRouteDown: true, reason: `HTTP ${statusCode}` };
  }
  if (statusCode >= 500 || statusCode === 407) {
    await response.body.dump().catch(() => undefined);
    return { outcome: "failed", isRouteDown: true, reason: `HTTP ${statusCode}` };
  }
  if (statusCode !== 200 && statusCode !== 206) {
    await response.body.dump().catch(() => undefined);
    throw new AgentError("HTTP_ERROR", `GET ${options.url} via ${route.label} answered HTTP ${statusCode}`);
  }
  progress.totalBytes ??= contentTotal(response.headers, statusCode);
  // A 200 to a ranged request restarts at byte 0: skip what we already have (a 206 from `start`).
  let skip = statusCode === 200 ? progress.offset : progress.offset - start;
  const body = (response.body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let isFinished = false;
  try {
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await body.next();
      } catch (error) {
        assertNotAborted(options.signal, error);
        // Every expected byte arrived before the socket closed: that is a whole response.
        if (isComplete(progress.offset, progress.totalBytes)) return { outcome: "done" };
        return { outcome: "failed", isRouteDown: false, reason: `broke after ${progress.offset} bytes (${describe(error)})` };
      }
      if (next.done) break;
      let piece = next.value;
      if (skip > 0) {
        const dropped = Math.min(skip, piece.length);
        skip -= dropped;
        piece = piece.subarray(dropped);
        if (piece.length === 0) continue;
      }
      progress.offset += piece.length;
      progress.lastByteAt = performance.now();
      options.onSourceBytes?.(route.label, piece.length);
      if (options.maxBytes != null && progress.offset > options.maxBytes) {
        throw new AgentError(
          "SIZE_MISMATCH",
          `GET ${options.url} via ${route.label}: sent more than the artifact's ${options.maxBytes} bytes: stopped there`,
        );
      }
      // Pace here, before pulling the next chunk off the socket.
      const waitMs = pacer?.take(piece.length) ?? 0;
      if (waitMs > 0) await sleep(waitMs, undefined, { signal: options.signal }).catch(() => assertNotAborted(options.signal));
      yield piece;
    }
    isFinished = true;
  } finally {
    if (!isFinished) response.body.destroy();
  }
  if (progress.totalBytes !== null && progress.offset < progress.totalBytes) {
    return { outcome: "failed", isRouteDown: false, reason: `ended after ${progress.offset} of ${progress.totalBytes} bytes` };
  }
  return { outcome: "done" };
}

function assertNotAborted(signal: AbortSignal | undefined, cause?: unknown): void {
  if (signal?.aborted) throw new AgentError("ABORTED", "download aborted", { cause });
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
