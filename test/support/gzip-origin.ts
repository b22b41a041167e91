// A tiny origin serving gzipped bytes on 127.0.0.1, counting every request it gets; also hostile
// streams that never end (a compromised peer or origin): gzip that inflates without end, and
// gzip members that inflate to nothing, so only the compressed bytes grow.
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import zlib from "node:zlib";

export type EndlessKind = "inflating" | "empty-members";
export type DirectFetch = { artifactUrl: string; hash: { algo: "sha512"; value: string }; proxies: string[]; allowDirect: true };

export type GzipOrigin = {
  url: string;
  requests: string[];
  /** Serves `data` gzipped at a new path; returns its URL and Glance-style sha512. */
  serve(data: Buffer): { url: string; sha512: string };
  /** Serves `data` and returns what placeImage needs to fetch it straight from here. */
  direct(data: Buffer): DirectFetch;
  /** Serves an endless stream at a new path (no Content-Length); `sentBytes()` counts what it wrote to clients. */
  serveEndless(kind: EndlessKind): { url: string; sentBytes(): number };
  close(): Promise<void>;
};

export async function startGzipOrigin(): Promise<GzipOrigin> {
  const served = new Map<string, Buffer>();
  const endless = new Map<string, { kind: EndlessKind; sent: number }>();
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    requests.push(request.url ?? "");
    const stream = endless.get(request.url ?? "");
    if (stream) {
      response.writeHead(200, { "content-type": "application/gzip" });
      const body = endlessGzip(stream.kind);
      body.on("data", (chunk: Buffer) => (stream.sent += chunk.length));
      body.pipe(response);
      response.once("close", () => body.destroy());
      return;
    }
    const body = served.get(request.url ?? "");
    if (!body) return void response.writeHead(404).end();
    response.writeHead(200, { "content-length": body.length, "content-type": "application/gzip" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const newRoute = () => `/artifacts/${crypto.randomUUID()}/${crypto.randomBytes(8).toString("hex")}.gz`;
  const serve = (data: Buffer) => {
    const route = newRoute();
    served.set(route, zlib.gzipSync(data));
    return { url: url + route, sha512: crypto.createHash("sha512").update(data).digest("hex") };
  };
  return {
    url,
    requests,
    serve,
    direct(data) {
      const { url: artifactUrl, sha512 } = serve(data);
      return { artifactUrl, hash: { algo: "sha512", value: sha512 }, proxies: [], allowDirect: true };
    },
    serveEndless(kind) {
      const route = newRoute();
      const stream = { kind, sent: 0 };
      endless.set(route, stream);
      return { url: url + route, sentBytes: () => stream.sent };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A gzip stream that never ends, produced as fast as the client reads it (backpressure holds). */
function endlessGzip(kind: EndlessKind): Readable {
  if (kind === "empty-members") {
    const members = Buffer.concat(Array.from({ length: 4096 }, () => zlib.gzipSync(Buffer.alloc(0))));
    return endlessOf(members);
  }
  return endlessOf(Buffer.alloc(1 << 20)).pipe(zlib.createGzip({ level: 9 }));
}

/** `bytes` zeros gzipped (about a thousandth of that), made without holding them in memory. */
export async function gzipOfZeros(bytes: number): Promise<Buffer> {
  const block = Buffer.alloc(1 << 20);
  const zeros = Readable.from(
    (function* () {
      for (let left = bytes; left > 0; left -= block.length) yield left >= block.length ? block : block.subarray(0, left);
    })(),
  );
  const parts: Buffer[] = [];
  for await (const part of zeros.pipe(zlib.createGzip({ level: 9 }))) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

function endlessOf(block: Buffer): Readable {
  return new Readable({
    read() {
      this.push(block);
    },
  });
}
