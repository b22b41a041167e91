// The artifact origin as Squid sees it: cacheable headers, ranges, validators, and no way out
// of the artifact directory. Raw request paths (no client-side normalisation) on a real socket.
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { serveArtifact } from "./serve-artifact.ts";

type Answer = { status: number; headers: http.IncomingHttpHeaders; body: Buffer };

const IMAGE_ID = "3f1b6a52-7c1e-4d0e-9a53-2f1d1e6c9b10";
const MTIME = new Date("2026-03-04T05:06:07Z");

let root: string;
let artifactDir: string;
let content: Buffer;
let sha256: string;
let url: string;
let server: http.Server;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "precache-origin-"));
  artifactDir = path.join(root, "artifacts");
  content = zlib.gzipSync(crypto.randomBytes(3000));
  sha256 = crypto.createHash("sha256").update(content).digest("hex");
  fs.mkdirSync(path.join(artifactDir, IMAGE_ID), { recursive: true });
  fs.writeFileSync(path.join(artifactDir, IMAGE_ID, `${sha256}.gz`), content);
  fs.utimesSync(path.join(artifactDir, IMAGE_ID, `${sha256}.gz`), MTIME, MTIME);
  // Bait outside the artifact dir, at the names a traversal would reach.
  fs.writeFileSync(path.join(root, "secrets.json"), '{"apiToken":"do-not-serve"}');
  fs.writeFileSync(path.join(root, `${sha256}.gz`), "outside the artifact dir");
  fs.mkdirSync(path.join(root, "secrets.json.d"));
  fs.writeFileSync(path.join(root, "secrets.json.d", `${sha256}.gz`), "outside the artifact dir");

  server = http.createServer((req, res) => {
    // The raw path, undecoded and unnormalised: serveArtifact must defend itself.
    const pathname = (req.url ?? "/").split("?")[0];
    serveArtifact(req, res, pathname, artifactDir).catch((error: Error) => res.writeHead(500).end(error.message));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(root, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

function request(method: string, rawPath: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/`, { method, path: rawPath, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

const artifactPath = () => `/artifacts/${IMAGE_ID}/${sha256}.gz`;

describe("serveArtifact", () => {
  it("serves the file with every header a cache needs, and no Content-Encoding", async () => {
    const answer = await request("GET", artifactPath());
    expect(answer.status).toBe(200);
    expect(answer.body.equals(content)).toBe(true);
    expect(answer.headers).toMatchObject({
      "content-type": "application/gzip",
      "content-length": String(content.length),
      "last-modified": MTIME.toUTCString(),
      etag: `"${sha256}"`,
      "cache-control": "public, max-age=31536000, immutable",
      "accept-ranges": "bytes",
    });
    expect(answer.headers["content-encoding"]).toBeUndefined();
    expect(answer.headers["transfer-encoding"]).toBeUndefined();
    expect(answer.headers.vary).toBeUndefined();
  });

  it("answers HEAD with the same headers and no body", async () => {
    const answer = await request("HEAD", artifactPath());
    expect(answer.status).toBe(200);
    expect(answer.body.length).toBe(0);
    expect(answer.headers).toMatchObject({
      "content-length": String(content.length),
      etag: `"${sha256}"`,
      "content-type": "application/gzip",
    });
  });

  it("serves byte ranges", async () => {
    const size = content.length;
    const middle = await request("GET", artifactPath(), { range: "bytes=10-19" });
    expect(middle.status).toBe(206);
    expect(middle.headers).toMatchObject({ "content-range": `bytes 10-19/${size}`, "content-length": "10", etag: `"${sha256}"` });
    expect(middle.body.equals(content.subarray(10, 20))).toBe(true);

    const suffix = await request("GET", artifactPath(), { range: "bytes=-5" });
    expect(suffix.status).toBe(206);
    expect(suffix.headers["content-range"]).toBe(`bytes ${size - 5}-${size - 1}/${size}`);
    expect(suffix.body.equals(content.subarray(size - 5))).toBe(true);

    const open = await request("GET", artifactPath(), { range: `bytes=${size - 3}-` });
    expect(open.status).toBe(206);
    expect(open.body.equals(content.subarray(size - 3))).toBe(true);

    const clamped = await request("GET", artifactPath(), { range: `bytes=0-${size * 10}` });
    expect(clamped.status).toBe(206);
    expect(clamped.headers["content-range"]).toBe(`bytes 0-${size - 1}/${size}`);
    expect(clamped.body.equals(content)).toBe(true);

    const headRange = await request("HEAD", artifactPath(), { range: "bytes=10-19" });
    expect(headRange).toMatchObject({ status: 206, headers: { "content-length": "10" } });
    expect(headRange.body.length).toBe(0);
  });

  it("refuses unsatisfiable ranges with 416 and the full length", async () => {
    for (const range of [`bytes=${content.length}-`, `bytes=${content.length + 100}-${content.length + 200}`]) {
      const answer = await request("GET", artifactPath(), { range });
      expect(answer.status, range).toBe(416);
      expect(answer.headers["content-range"], range).toBe(`bytes */${content.length}`);
    }
  });

  it("serves the whole file for ranges it does not handle or a stale If-Range", async () => {
    const unhandled: Record<string, string>[] = [
      { range: "bytes=0-1,5-6" },
      { range: "items=0-5" },
      { range: "bytes=0-9", "if-range": '"another-version"' },
    ];
    for (const headers of unhandled) {
      const answer = await request("GET", artifactPath(), headers);
      expect(answer.status, JSON.stringify(headers)).toBe(200);
      expect(answer.body.equals(content)).toBe(true);
    }
    const matching = await request("GET", artifactPath(), { range: "bytes=0-9", "if-range": `"${sha256}"` });
    expect(matching.status).toBe(206);
  });

  it("answers a matching If-None-Match with 304 and no Content-Length", async () => {
    const answer = await request("GET", artifactPath(), { "if-none-match": `"${sha256}"` });
    expect(answer.status).toBe(304);
    expect(answer.body.length).toBe(0);
    expect(answer.headers["content-length"]).toBeUndefined();
    expect(answer.headers).toMatchObject({ etag: `"${sha256}"`, "cache-control": "public, max-age=31536000, immutable" });

    const other = await request("GET", artifactPath(), { "if-none-match": '"something-else"' });
    expect(other.status).toBe(200);
    expect(other.body.equals(content)).toBe(true);
  });

  it("answers 404 for artifacts it does not have", async () => {
    const unknownSha = await request("GET", `/artifacts/${IMAGE_ID}/${"0".repeat(64)}.gz`);
    expect(unknownSha.status).toBe(404);
    expect(unknownSha.headers["cache-control"]).toBe("no-store");
    expect(JSON.parse(unknownSha.body.toString())).toEqual({ error: { code: "NOT_FOUND", message: "no such artifact" } });
    expect((await request("GET", `/artifacts/another-image/${sha256}.gz`)).status).toBe(404);
    expect((await request("HEAD", `/artifacts/${IMAGE_ID}/${"0".repeat(64)}.gz`)).status).toBe(404);
  });

  it("never reads outside the artifact dir, whatever the path", async () => {
    const touched: string[] = [];
    const realStat = fs.promises.stat;
    vi.spyOn(fs.promises, "stat").mockImplementation((file, ...rest) => {
      touched.push(path.resolve(String(file)));
      return realStat(file, ...(rest as []));
    });
    const realRead = fs.createReadStream;
    vi.spyOn(fs, "createReadStream").mockImplementation((file, ...rest) => {
      touched.push(path.resolve(String(file)));
      return realRead(file, ...(rest as []));
    });

    const attempts = [
      `/artifacts/../secrets.json/x.gz`,
      `/artifacts/../${sha256}.gz`,
      `/artifacts/%2e%2e/${sha256}.gz`,
      `/artifacts/%2E%2E/${sha256}.gz`,
      `/artifacts/..%2fsecrets.json.d/${sha256}.gz`,
      `/artifacts/..%2Fsecrets.json.d/${sha256}.gz`,
      `/artifacts/${IMAGE_ID}/..%2f..%2f${sha256}.gz`,
      `/artifacts/a..b/${sha256}.gz`,
      `/artifacts/${IMAGE_ID}/../../${sha256}.gz`,
      `/artifacts/${IMAGE_ID}/${sha256}.gz/../../secrets.json`,
      `/artifacts/${IMAGE_ID}/${sha256.toUpperCase()}.gz`,
      `/artifacts/${IMAGE_ID}/${sha256.slice(1)}.gz`,
      `/artifacts/${IMAGE_ID}/${sha256}`,
      `/artifacts/${IMAGE_ID}/${sha256}.gz.bak`,
      `/artifacts//${sha256}.gz`,
      `/artifacts/.hidden/${sha256}.gz`,
      `/artifacts/${IMAGE_ID}%00/${sha256}.gz`,
      `/artifacts/${"a".repeat(200)}/${sha256}.gz`,
    ];
    for (const attempt of attempts) {
      const answer = await request("GET", attempt);
      expect(answer.status, attempt).toBe(404);
      expect(answer.body.toString(), attempt).not.toContain("outside the artifact dir");
      expect(answer.body.toString(), attempt).not.toContain("do-not-serve");
    }
    // A legitimate request still reads, so the spies do see file access.
    expect((await request("GET", artifactPath())).status).toBe(200);
    expect(touched.length).toBeGreaterThan(0);
    for (const file of touched) expect(file.startsWith(artifactDir + path.sep), file).toBe(true);
  });

  it("refuses other methods with 405 and Allow", async () => {
    for (const method of ["POST", "PUT", "DELETE"]) {
      const answer = await request(method, artifactPath());
      expect(answer.status, method).toBe(405);
      expect(answer.headers.allow).toBe("GET, HEAD");
    }
    expect(fs.readFileSync(path.join(artifactDir, IMAGE_ID, `${sha256}.gz`)).equals(content)).toBe(true);
  });
});
