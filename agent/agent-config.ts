// Agent settings from flags and environment; errors name the bad value.
import fs from "node:fs";
import os from "node:os";
import { HYPERVISOR_NAME_PATTERN } from "../protocol/ids.ts";
import { credentialFile, defaultStateDir } from "./credential-store.ts";

export type AgentConfig = {
  /** http(s)://host[:port]; with https, `caFile` names a private CA to trust. */
  server: string;
  /** The enrolment secret (PRECACHE_AGENT_TOKEN): enrols this name once; not needed once a credential is stored. */
  token?: string;
  name: string;
  cacheDir: string;
  /** Where the per-node credential is kept; default `.precache-<name of cache dir>` beside the cache dir. */
  stateDir?: string;
  /** PEM file of a CA to trust for an https server (socket.io-client's `ca`). */
  caFile?: string;
  /** First wait after the server refused this agent (doubling up to 5 minutes). */
  /** First wait before an unacknowledged inventory is sent again (default 5 s; tests shorten it). */
  inventoryRetryMs?: number;
  refusedRetryMs?: number;
  /** Own proxies (--proxy): they win over what the server suggests for the group. */
  proxies: string[];
  allowDirect: boolean;
  /** Mirrors nova's force_raw_images (default True): convert non-raw images to raw before placing them. */
  forceRawImages: boolean;
  /** Topology label reported to the server (rack, room, cell). */
  group?: string;
  /** Peer tier: serve verified artifacts to the group from this address:port (--peer-listen). */
  peer?: { listen: string; spoolBytes: number; uploadBytesPerSecond: number | null };
  /** Cap on random start delay the server may ask for; the server's value wins when lower. */
  progressIntervalMs: number;
  rescanIntervalMs: number;
};

export const DEFAULT_CACHE_DIR = "/var/lib/nova/instances/_base";

export function parseProxyList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(",")
    .map((proxy) => proxy.trim())
    .filter(Boolean)
    .map((proxy) => checkUrl(proxy.includes("://") ? proxy : `http://${proxy}`, "proxy"));
}

export function checkUrl(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`invalid ${what} URL "${value}": must include scheme and host`);
  }
  if (!/^https?:$/.test(url.protocol) || !url.host) {
    throw new Error(`invalid ${what} URL "${value}": must be http(s)://host[:port]`);
  }
  return value.replace(/\/+$/, "");
}

/** true/false in the spellings oslo.config accepts for nova.conf booleans; the default when unset. */
export function parseBoolean(value: string | undefined, what: string, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  const normalized = value.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(normalized)) return true;
  if (["false", "0", "no", "off"].includes(normalized)) return false;
  throw new Error(`invalid ${what} "${value}": use true or false (as nova.conf's force_raw_images)`);
}

export function agentConfigFrom(flags: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv): AgentConfig {
  const server = (flags.server as string | undefined) ?? env.PRECACHE_SERVER;
  const token = (flags.token as string | undefined) ?? env.PRECACHE_AGENT_TOKEN;
  const name = (flags.name as string | undefined) ?? env.PRECACHE_HOSTNAME ?? os.hostname();
  const cacheDir = (flags["cache-dir"] as string | undefined) ?? env.PRECACHE_CACHE_DIR ?? DEFAULT_CACHE_DIR;
  const stateDir = (flags["state-dir"] as string | undefined) ?? env.PRECACHE_STATE_DIR;
  const caFile = (flags.ca as string | undefined) ?? env.PRECACHE_CA_FILE;
  const problems: string[] = [];
  if (!server) problems.push("--server / PRECACHE_SERVER is required (e.g. http://precache:3000)");
  if (!HYPERVISOR_NAME_PATTERN.test(name))
    problems.push(
      `invalid --name / PRECACHE_HOSTNAME ${JSON.stringify(name)}: a host name (letters, digits, . _ - :), at most 253 characters`,
    );
  else if (!token && !fs.existsSync(credentialFile(stateDir ?? defaultStateDir(cacheDir), name))) {
    problems.push(
      `--token / PRECACHE_AGENT_TOKEN is required (to enrol: no credential stored in ${stateDir ?? defaultStateDir(cacheDir)})`,
    );
  }
  if (caFile !== undefined && !fs.existsSync(caFile)) problems.push(`invalid --ca / PRECACHE_CA_FILE "${caFile}": no such file`);
  const peer = parsePeerFlags(flags, env, problems);
  if (problems.length) throw new Error(problems.join("\n"));
  return {
    server: checkUrl(server!, "server"),
    ...(token ? { token } : {}),
    name,
    cacheDir,
    ...(stateDir ? { stateDir } : {}),
    ...(caFile ? { caFile } : {}),
    proxies: parseProxyList((flags.proxy as string | undefined) ?? env.PRECACHE_PROXIES),
    group: (flags.group as string | undefined) ?? env.PRECACHE_GROUP,
    ...(peer ? { peer } : {}),
    allowDirect: flags["allow-direct"] === true || env.PRECACHE_ALLOW_DIRECT === "1",
    forceRawImages: parseBoolean(
      (flags["force-raw-images"] as string | undefined) ?? env.PRECACHE_FORCE_RAW_IMAGES,
      "--force-raw-images / PRECACHE_FORCE_RAW_IMAGES",
      true,
    ),
    progressIntervalMs: 1000,
    rescanIntervalMs: 5 * 60_000,
  };
}

/**
 * --peer-listen ADDRESS:PORT turns the peer tier on (serve verified artifacts to the group);
 * --peer-upload-mbps caps what it sends (default 500), --peer-spool-gib what it keeps (default 20).
 */
function parsePeerFlags(flags: Record<string, unknown>, env: NodeJS.ProcessEnv, problems: string[]): AgentConfig["peer"] | undefined {
  const listen = (flags["peer-listen"] as string | undefined) ?? env.PRECACHE_PEER_LISTEN;
  if (!listen) return undefined;
  if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(listen)) {
    problems.push(`invalid --peer-listen / PRECACHE_PEER_LISTEN "${listen}": expected address:port, e.g. 10.1.2.3:9494`);
    return undefined;
  }
  const number = (value: string | undefined, what: string, fallback: number) => {
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0) problems.push(`invalid ${what} "${value}": must be a positive number`);
    return parsed;
  };
  const mbps = number((flags["peer-upload-mbps"] as string | undefined) ?? env.PRECACHE_PEER_UPLOAD_MBPS, "--peer-upload-mbps", 500);
  const gib = number((flags["peer-spool-gib"] as string | undefined) ?? env.PRECACHE_PEER_SPOOL_GIB, "--peer-spool-gib", 20);
  return { listen, spoolBytes: Math.round(gib * 2 ** 30), uploadBytesPerSecond: Math.round((mbps * 1e6) / 8) };
}
