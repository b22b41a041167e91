// GET/HEAD /artifacts/<image id>/<sha256>.gz and /artifacts/sealed/<sha256>.sealed: the origin
// Squid caches. Content-addressed, so the response is immutable and carries every header a cache
// needs (DESIGN §5). Sealed artifacts are ciphertext: public caching reveals nothing but their size.
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { errorBodyOf } from "../../protocol/api/error-body.ts";
import { IMAGE_ID_PATTERN } from "../../protocol/ids.ts";
import { SHA256_PATTERN, artifactFile, sealedArtifactFile } from "../publish/artifact-paths.ts";

const ROUTE = /^\/artifacts\/([^/]+)\/([^/]+)\.gz$/;
/** Sealed artifacts: named by the ciphertext's sha256 alone (artifact-paths.ts). */
const SEALED_ROUTE = /^\/artifacts\/sealed\/([0-9a-f]{64})\.sealed$/;

export function isArtifactRequest(pathname: string): boolean {
  return pathname.startsWith("/artifacts/");
}

export async function serveArtifact(req: IncomingMessage, res: ServerResponse, pathname: string, artifactDir: string): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") return plain(res, 405, "method not allowed", { allow: "GET, HEAD" });
  const found = artifactOf(pathname, artifactDir);
  if (!found) return plain(res, 404, "no such artifact");
  const { file, sha256 } = found;
  const stat = await fs.promises.stat(file).catch(() => null);
  if (!stat?.isFile()) return plain(res, 404, "no such artifact");

  const etag = `"${sha256}"`;
  const headers: Record<string, string> = {
    "content-type": found.contentType,
    "last-modified": stat.mtime.toUTCString(),
    etag,
    "cache-control": "public, max-age=31536000, immutable",
    "accept-ranges": "bytes",
  };
  if (req.headers["if-none-match"] === etag) {
    // No Content-Length on a 304: Squid would store a 0-byte "hit".
    res.writeHead(304, headers);
    return void res.end();
  }
  const range = parseRange(req.headers.range, stat.size, String(req.headers["if-range"] ?? ""), etag);
  if (range === "unsatisfiable") {
    return plain(res, 416, "range not satisfiable", { "content-range": `bytes */${stat.size}` });
  }
  const [start, end] = range ?? [0, stat.size - 1];
  const length = stat.size === 0 ? 0 : end - start + 1;
  headers["content-length"] = String(length);
  if (range) headers["content-range"] = `bytes ${start}-${end}/${stat.size}`;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === "HEAD" || length === 0) return void res.end();
  await pipeline(fs.createReadStream(file, { start, end, highWaterMark: 1 << 20 }), res).catch(() => res.destroy());
}

/** The file behind an artifact URL path, or null for anything that is not one. */
function artifactOf(pathname: string, artifactDir: string): { file: string; sha256: string; contentType: string } | null {
  const sealed = SEALED_ROUTE.exec(pathname);
  // Ciphertext is opaque bytes: no type that invites a client or proxy to decode it.
  if (sealed) return { file: sealedArtifactFile(artifactDir, sealed[1]), sha256: sealed[1], contentType: "application/octet-stream" };
  const match = ROUTE.exec(pathname);
  if (!match || !IMAGE_ID_PATTERN.test(match[1]) || match[1].includes("..") || !SHA256_PATTERN.test(match[2])) return null;
  return { file: artifactFile(artifactDir, match[1], match[2]), sha256: match[2], contentType: "application/gzip" };
}

/** One `bytes=a-b`, `a-` or `-n` range; anything else is served whole, as RFC 9110 allows. */
function parseRange(
  header: string | undefined,
  size: number,
  ifRange: string | undefined,
  etag: string,
): [number, number] | "unsatisfiable" | null {
  if (!header || (ifRange && ifRange !== etag)) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return null;
  let start: number;
  let end: number;
  if (match[1] === "") {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return "unsatisfiable";
  return [start, end];
}

function plain(res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
  const body = JSON.stringify(errorBodyOf(status === 404 ? "NOT_FOUND" : "BAD_REQUEST", message));
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
    "cache-control": "no-store",
    ...extra,
  });
  res.end(body);
}
