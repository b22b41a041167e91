// Real Squid instances for tests: each with its own config, cache dir, logs and pid file in a
// temp dir, listening on 127.0.0.1 only, run in the foreground as a child of the test process.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import { freePort } from "./production-server.ts";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const SQUID_BIN = process.env.SQUID_BIN ?? "/usr/sbin/squid";
/** Squid drops root privileges to this user; the temp dirs are handed to it. */
const SQUID_USER = "proxy";

// Squids still running when the test process exits (a crash, a forgotten stop) are killed,
// so no instance outlives the test that started it.
const live = new Map<ChildProcess, string>();
process.once("exit", () => {
  for (const [child, dir] of live) {
    child.kill("SIGKILL");
    if (!process.env.KEEP_SQUID_DIRS) fs.rmSync(dir, { recursive: true, force: true });
  }
});

export type AccessEntry = {
  /** Squid's result code: TCP_MISS, TCP_HIT, TCP_MEM_HIT, TCP_CF_HIT, ... */
  result: string;
  /** HTTP status sent to the client. */
  status: number;
  /** Bytes sent to the client, headers included. */
  bytes: number;
  method: string;
  url: string;
  /** How Squid reached the object: HIER_DIRECT, FIRSTUP_PARENT, DEFAULT_PARENT, HIER_NONE, ... */
  hierarchy: string;
  /** The client's Range header, or null. */
  range: string | null;
};

export type RunningSquid = {
  name: string;
  url: string;
  port: number;
  pid: number;
  dir: string;
  accessLog(): Promise<AccessEntry[]>;
  /** The last lines of cache.log, for failure messages. */
  cacheLogTail(lines?: number): string;
  /** SIGTERM and wait for exit (shutdown_lifetime 0), SIGKILL if it lingers. */
  stop(): Promise<void>;
  /** SIGKILL: the proxy dies mid-whatever, as a crashed or unplugged one would. */
  kill(): Promise<void>;
};

export type SquidOptions = {
  name: string;
  parent?: { host: string; port: number };
  startTimeoutMs?: number;
  /** A fixed port, e.g. to restart a killed Squid where its clients expect it. */
  port?: number;
  /** Extra squid.conf lines, e.g. short timeouts that make a test fast. */
  extraConfig?: string[];
  /** Address to listen on (default 127.0.0.1); the testbed's Squids listen inside their namespaces. */
  host?: string;
  /** Client networks (CIDR) allowed besides localhost. */
  allowNetworks?: string[];
};

export function squidAvailable(): boolean {
  try {
    fs.accessSync(SQUID_BIN, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a Squid test suite should be skipped: only when squid is missing outside CI (with a
 * warning). Under CI a missing squid is not skipped, so startSquid fails the suite loudly.
 */
export function shouldSkipSquidTests(suite: string): boolean {
  if (squidAvailable()) return false;
  const ci = process.env.CI;
  if (ci && ci !== "0" && ci !== "false") return false;
  console.warn(`skipping ${suite}: squid not found at ${SQUID_BIN} (install the squid package; under CI=true this fails instead)`);
  return true;
}

/** Fails fast (before any expensive setup) when squid is missing. */
export function assertSquidAvailable(): void {
  if (!squidAvailable()) throw new Error(`squid not found at ${SQUID_BIN}: install the squid package (or set SQUID_BIN)`);
}

export async function startSquid(options: SquidOptions): Promise<RunningSquid> {
  assertSquidAvailable();
  // The free port is found by binding port 0 and closing it; another process may take it before
  // Squid binds, so a lost race is retried on a new port.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchSquid(options, options.port ?? (await freePort()));
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt >= 3 || options.port) throw error;
    }
  }
}

class PortTakenError extends Error {}

async function launchSquid(options: SquidOptions, port: number): Promise<RunningSquid> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `precache-squid-${options.name}-`));
  const cacheDir = path.join(dir, "cache");
  const logDir = path.join(dir, "logs");
  fs.mkdirSync(cacheDir);
  fs.mkdirSync(logDir);
  const conf = path.join(dir, "squid.conf");
  fs.writeFileSync(conf, squidConfig({ ...options, port, dir, cacheDir, logDir }), { mode: 0o644 });
  handToSquidUser(dir);
  const cacheLog = path.join(logDir, "cache.log");
  const accessLogFile = path.join(logDir, "access.log");
  const tail = (lines = 20) => readTail(cacheLog, lines);

  try {
    await runToCompletion([SQUID_BIN, "-f", conf, "-z", "-N"], 30_000, tail);
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const child = spawn(SQUID_BIN, ["-f", conf, "-N"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  live.set(child, dir);
  let hasExited = false;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve())).then(() => {
    hasExited = true;
    live.delete(child);
  });

  // Ready when Squid says it listens on our port (a connect alone could reach whoever took the
  // port) and the port accepts.
  const listening = `local=127.0.0.1:${port} `;
  const isListening = () => readTail(cacheLog, 1000).includes(listening);
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  while (hasExited || !isListening() || !(await accepts(port))) {
    if (hasExited || Date.now() > deadline) {
      if (!hasExited) child.kill("SIGKILL");
      await exited;
      const log = tail(40);
      fs.rmSync(dir, { recursive: true, force: true });
      const why = hasExited ? `exited with ${child.exitCode ?? child.signalCode}` : "did not accept connections in time";
      const message = `squid ${options.name} on 127.0.0.1:${port} ${why}\nstderr: ${stderr.trim()}\ncache.log tail:\n${log}`;
      throw log.includes("Address already in use") ? new PortTakenError(message) : new Error(message);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const end = async (signal: NodeJS.Signals) => {
    if (hasExited) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return {
    name: options.name,
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    dir,
    cacheLogTail: tail,
    async accessLog() {
      const text = await fs.promises.readFile(accessLogFile, "utf8").catch(() => "");
      // Drop the lines our readiness probe leaves (a connection that never sent a request).
      return text
        .split("\n")
        .filter(Boolean)
        .map(parseAccessLine)
        .filter((entry) => entry.url !== "error:transaction-end-before-headers");
    },
    async stop() {
      await end("SIGTERM");
      if (!process.env.KEEP_SQUID_DIRS) fs.rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      await end("SIGKILL");
    },
  };
}

/** A plain GET of `url` through the Squid on `port` (a proxy request: absolute URL as the path). */
export function getThroughSquid(
  port: number,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: "127.0.0.1", port, path: url, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
      response.on("error", reject);
    });
    request.on("error", reject);
  });
}

/** What Squid holds for `url` without asking upstream (only-if-cached): the body, or null on a miss. */
export async function cachedBody(port: number, url: string): Promise<Buffer | null> {
  const { status, body } = await getThroughSquid(port, url, { "cache-control": "only-if-cached" });
  return status === 200 ? body : null;
}

/**
 * Access-log entries for `url` once there are at least `atLeast` of them. Squid logs a request
 * when its transaction ends, a moment after the client has the last byte. On timeout the error
 * shows the whole log (a CONNECT tunnel instead of plain proxy requests shows up there).
 */
export async function artifactEntries(squid: RunningSquid, url: string, atLeast: number, timeoutMs = 10_000): Promise<AccessEntry[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await squid.accessLog();
    const entries = all.filter((entry) => entry.url === url);
    if (entries.length >= atLeast) return entries;
    if (Date.now() > deadline) {
      const lines = all.map(
        (entry) => `${entry.result}/${entry.status} ${entry.method} ${entry.url} ${entry.hierarchy} range=${entry.range}`,
      );
      throw new Error(
        `squid ${squid.name}: expected at least ${atLeast} requests for ${url} within ${timeoutMs} ms, access log has:\n${lines.join("\n") || "(nothing)"}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function squidConfig(o: SquidOptions & { port: number; dir: string; cacheDir: string; logDir: string }): string {
  const lines = [
    `# test squid "${o.name}", generated by test/support/squid.ts`,
    `http_port ${o.host ?? "127.0.0.1"}:${o.port}`,
    `visible_hostname ${o.name}-${o.port}.precache.test`,
    `cache_effective_user ${SQUID_USER}`,
    `pid_filename ${path.join(o.dir, "squid.pid")}`,
    `coredump_dir ${o.dir}`,
    // The default 4 MB cap would keep images out of the cache; it must come before cache_dir.
    `maximum_object_size 8 GB`,
    `cache_dir ufs ${o.cacheDir} 1024 16 256`,
    `cache_mem 64 MB`,
    `maximum_object_size_in_memory 64 MB`,
    // A client that goes away must not abort the fill others (and the next tier) are waiting for.
    `quick_abort_min -1 KB`,
    `collapsed_forwarding on`,
    // A Range request (failover continuation) fetches the whole object upstream and caches it.
    `range_offset_limit -1`,
    `logformat precache %ts.%03tu\t%Ss\t%>Hs\t%<st\t%rm\t%ru\t%Sh\t%{Range}>h`,
    `access_log stdio:${path.join(o.logDir, "access.log")} logformat=precache`,
    `buffered_logs off`,
    `cache_log ${path.join(o.logDir, "cache.log")}`,
    `cache_store_log none`,
    `logfile_rotate 0`,
    `pinger_enable off`,
    `shutdown_lifetime 0 seconds`,
    // Loopback only: the stock "deny to_localhost" rule is deliberately absent (test configs only).
    `http_access allow localhost`,
    ...(o.allowNetworks?.length ? [`acl clients src ${o.allowNetworks.join(" ")}`, "http_access allow clients"] : []),
    `http_access deny all`,
  ];
  if (o.parent) {
    // no-digest / no-netdb-exchange: no background requests to the parent, so its log holds only ours.
    lines.push(
      `cache_peer ${o.parent.host} parent ${o.parent.port} 0 no-query no-digest no-netdb-exchange default`,
      `never_direct allow all`,
    );
  }
  lines.push(...(o.extraConfig ?? []));
  return `${lines.join("\n")}\n`;
}

function parseAccessLine(line: string): AccessEntry {
  const fields = line.split("\t");
  if (fields.length !== 8) throw new Error(`unparsable squid access log line: ${line}`);
  const [, result, status, bytes, method, url, hierarchy, range] = fields;
  return {
    result,
    status: Number(status),
    bytes: Number(bytes),
    method,
    url,
    hierarchy,
    range: range === "-" || range === "" ? null : range,
  };
}

export function handToSquidUser(dir: string): void {
  if (process.getuid?.() !== 0) return;
  const { uid, gid } = userIds(SQUID_USER);
  const walk = (target: string) => {
    fs.chownSync(target, uid, gid);
    if (fs.statSync(target).isDirectory()) for (const name of fs.readdirSync(target)) walk(path.join(target, name));
  };
  walk(dir);
}

function userIds(name: string): { uid: number; gid: number } {
  const line = fs
    .readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((entry) => entry.startsWith(`${name}:`));
  if (!line) throw new Error(`user "${name}" does not exist: squid needs it as cache_effective_user when tests run as root`);
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function runToCompletion(argv: string[], timeoutMs: number, tail: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      reject(new Error(`${argv.join(" ")} failed (${code ?? signal})\nstderr: ${stderr.trim()}\ncache.log tail:\n${tail()}`));
    });
  });
}

function readTail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no cache.log)";
  }
}
