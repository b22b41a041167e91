// REST cases: a route from the router's table (or none), a method, a path with known ids or
// hostile segments, headers with and without the bootstrap token, and a body near the route's
// schema, mutated, random, broken or oversize. A few go as raw bytes no HTTP client would send.
import { mutate, randomJson, randomString, type Rng } from "./prng.ts";
import type { PathPart, RouteTemplate } from "./route-templates.ts";

/**
 * Ids the server has actually handed out, so cases also reach past "not found". `stuckHypervisors`
 * are connected but never answer image:delete: only POST /api/cleanup names them, which must
 * answer at once whatever its nodes do (other routes that wait on one node are not fuzzed with them).
 */
export type KnownValues = { imageIds: string[]; hypervisors: string[]; rolloutIds: string[]; groups: string[]; stuckHypervisors: string[] };

export type RestCase =
  | { kind: "http"; method: string; path: string; headers: Record<string, string>; body: Buffer | null }
  | { kind: "raw"; request: Buffer };

const MIB = 1024 * 1024;
const METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS", "FUZZ"];
const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/json; charset=latin1",
  "*/*",
];

export function restCase(rng: Rng, templates: readonly RouteTemplate[], known: KnownValues, apiToken: string): RestCase {
  if (rng.chance(0.06)) return rawCase(rng, templates, known);
  const template = rng.chance(0.9) ? rng.pick(templates) : null;
  const method = template && rng.chance(0.8) ? template.method : rng.pick(METHODS);
  const path = template ? templatePath(rng, template.parts, known) : randomPath(rng);
  const headers: Record<string, string> = {};
  const auth = rng.next();
  if (auth < 0.7) headers.authorization = `Bearer ${apiToken}`;
  else if (auth < 0.8) headers.authorization = `Bearer ${asHeader(randomString(rng, 40))}`;
  else if (auth < 0.85) headers.authorization = rng.pick(["Basic YWRtaW46eA==", "Bearer", `bearer  ${apiToken}`, apiToken]);
  if (rng.chance(0.1)) headers.cookie = `precache_session=${asHeader(randomString(rng, 60))}`;
  if (rng.chance(0.1)) headers.origin = rng.pick(["http://evil.example", "null", "http://127.0.0.1:1"]);
  // An unknown method is refused by Node's parser, which closes at once: a body would only race that.
  const hasBody = method === "FUZZ" ? false : method !== "GET" && method !== "HEAD" ? rng.chance(0.9) : rng.chance(0.05);
  const body = hasBody ? randomBody(rng, template, known) : null;
  if (body) {
    headers["content-type"] = rng.chance(0.75) ? "application/json" : rng.pick(CONTENT_TYPES);
    // Node's client frames a DELETE/OPTIONS body with neither Content-Length nor chunking otherwise.
    headers["content-length"] = String(body.length);
  }
  return { kind: "http", method, path, headers, body };
}

function templatePath(rng: Rng, parts: PathPart[], known: KnownValues): string {
  let path = parts.map((part) => ("literal" in part ? part.literal : encodeSegment(rng, paramValue(rng, part, known)))).join("");
  const roll = rng.next();
  if (roll < 0.05) path += `/${encodeSegment(rng, randomString(rng, 10))}`;
  else if (roll < 0.08) path = path.replace(/\/(?=[^/]*$)/, rng.pick(["//", "/./", "/../", "/%2f"]));
  else if (roll < 0.11) path += rng.pick(["?", "?x=%zz", "#frag", `?${"a=1&".repeat(200)}`, "/"]);
  return path;
}

function paramValue(rng: Rng, part: { param: string; choices: string[] | null }, known: KnownValues): string {
  if (part.choices && rng.chance(0.9)) return rng.pick(part.choices);
  const pool = part.param.includes("[0-9a-f]{8}") ? known.rolloutIds : part.param.startsWith("[^/]") ? known.hypervisors : known.imageIds;
  if (pool.length > 0 && rng.chance(0.5)) return rng.pick(pool);
  if (rng.chance(0.2)) return rngUuid(rng);
  return randomString(rng, 60);
}

/** A well-formed UUID drawn from the case's generator (so the case reproduces). */
export function rngUuid(rng: Rng): string {
  const hex = Array.from({ length: 32 }, () => rng.int(0, 15).toString(16)).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** Percent-encoded (lone surrogates as their 3 bytes, as a careless client would), raw, or with broken escapes. */
function encodeSegment(rng: Rng, value: string): string {
  const roll = rng.next();
  const isRawSafe = /^[\x21-\xff]*$/.test(value) && !/[/?#]/.test(value);
  if (roll < 0.3 && isRawSafe) return value;
  let encoded = "";
  for (const unit of value) {
    const code = unit.codePointAt(0)!;
    if (/^[A-Za-z0-9._~-]$/.test(unit)) encoded += unit;
    else if (code >= 0xd800 && code <= 0xdfff)
      encoded +=
        `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`.toUpperCase();
    else encoded += [...Buffer.from(unit, "utf8")].map((byte) => `%${byte.toString(16).padStart(2, "0").toUpperCase()}`).join("");
  }
  if (roll > 0.85) encoded += rng.pick(["%", "%z", "%G0", "%E0%A4", "%C0%80", "%FF"]);
  return encoded || "%";
}

function randomPath(rng: Rng): string {
  const prefix = rng.pick([
    "/api/",
    "/api",
    "/artifacts/",
    "/",
    "/api/images/",
    "/api/hypervisors/",
    "/api/rollouts/",
    "/socket.io/",
    "/_next/",
  ]);
  const segments = Array.from({ length: rng.int(0, 4) }, () => encodeSegment(rng, randomString(rng, 20)));
  return prefix + segments.join("/");
}

function sampleBody(path: string, known: KnownValues): unknown {
  const image = known.imageIds[0] ?? "img";
  const hypervisor = known.hypervisors[0] ?? "hv-1";
  if (path.endsWith("/publish")) return { codec: "gzip", level: 1 };
  if (path.endsWith("/group")) return { group: known.groups[0] ?? "rack-1" };
  if (path.endsWith("/pin")) return { pinned: true };
  if (path === "/api/session") return { password: "not-the-password" };
  if (path === "/api/rollouts")
    return {
      imageId: image,
      hypervisors: [hypervisor],
      strategy: "waves",
      maxAttempts: 1,
      perProxyConcurrency: 2,
      nodeTimeoutSeconds: 60,
      bandwidthMbps: 100,
    };
  if (path === "/api/cleanup")
    return { imageId: image, hypervisors: [...known.stuckHypervisors, hypervisor], removeArtifact: false, purgeProxies: false };
  if (path === "/api/topology") {
    return {
      tier1: [{ url: "http://squid-t1:3128", bandwidthMbps: 1000 }],
      nodeBandwidthMbps: 1000,
      groups: [{ name: "rack-1", proxies: ["http://squid-r1:3128"], bandwidthMbps: 1000 }],
    };
  }
  return {};
}

function randomBody(rng: Rng, template: RouteTemplate | null, known: KnownValues): Buffer {
  const roll = rng.next();
  const sample = sampleBody(template?.parts.map((part) => ("literal" in part ? part.literal : "")).join("") ?? "", known);
  if (roll < 0.015) return oversizeBody(rng);
  if (roll < 0.2) return Buffer.from(JSON.stringify(sample));
  if (roll < 0.7) return Buffer.from(JSON.stringify(mutate(rng, sample)) ?? "null");
  if (roll < 0.82) return Buffer.from(JSON.stringify(randomJson(rng, 4)) ?? "null");
  if (roll < 0.9) return Buffer.from(JSON.stringify(sample).slice(0, rng.int(0, 20)) + randomString(rng, 10));
  if (roll < 0.95)
    return Buffer.from(
      rng.pick(["[".repeat(100_000), '{"a":'.repeat(50_000), "\u0000", "\ufeff{}", '{"__proto__":{"x":1}}', '{"imageId":"\\ud800"}']),
    );
  return Buffer.alloc(0);
}

function oversizeBody(rng: Rng): Buffer {
  const size = MIB + rng.int(1, 64 * 1024);
  return Buffer.from(`{"groups":[{"name":"${"x".repeat(size)}"}]}`);
}

/** Header values must be Latin-1 without control characters, or the HTTP client refuses to send them. */
function asHeader(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, "_");
}

/**
 * Raw requests are complete, or broken in a way the parser sees at once: a request that declares
 * more body than it sends is the client's to finish (the server rightly waits), not a hang.
 */
function rawCase(rng: Rng, templates: readonly RouteTemplate[], known: KnownValues): RestCase {
  const template = rng.pick(templates);
  const validPath = template.parts
    .map((part) => ("literal" in part ? part.literal : encodeSegment(rng, paramValue(rng, part, known))))
    .join("");
  const randomBytes = (length: number) => Buffer.from(Array.from({ length }, () => rng.int(0, 255)));
  const roll = rng.next();
  let head: Buffer;
  if (roll < 0.35) {
    const target = rng.chance(0.5)
      ? Buffer.from(
          rng.pick([
            "//",
            "//[",
            "http://[",
            "*",
            "/\\evil",
            "http://x/api/health",
            "//api/health",
            "/%",
            "/api/hypervisors/%FF",
            "?",
            "#",
          ]),
        )
      : randomBytes(rng.int(1, 40));
    head = Buffer.concat([Buffer.from(`${rng.pick(METHODS)} `), target, Buffer.from(" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")]);
  } else if (roll < 0.55) {
    head = Buffer.concat([
      Buffer.from(`GET ${validPath} HTTP/1.1\r\nHost: x\r\n`),
      randomBytes(rng.int(1, 30)),
      Buffer.from(": v\r\nConnection: close\r\n\r\n"),
    ]);
  } else if (roll < 0.7) {
    head = Buffer.from(
      `GET ${validPath} ${rng.pick(["HTTP/9.9", "HTTP/1", "FTP/1.1", "HTTP/1.1 extra", ""])}\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
  } else if (roll < 0.85) {
    head = Buffer.from(
      `POST ${validPath} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${rng.pick(["zz", "-1", "2;\u0000", "0x2", " 2"])}\r\n{}\r\n0\r\n\r\n`,
    );
  } else {
    head = Buffer.from(
      `POST ${validPath} HTTP/1.1\r\nHost: x\r\nContent-Length: ${rng.pick(["-1", "1e3", "abc", "2, 3", "99999999999999999999"])}\r\nConnection: close\r\n\r\n{}`,
    );
  }
  return { kind: "raw", request: head };
}
