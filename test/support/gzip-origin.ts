// A tiny origin serving gzipped bytes on 127.0.0.1, counting every request it gets.
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import zlib from "node:zlib";

export type GzipOrigin = {
  url: string;
  requests: string[];
  /** Serves `data` gzipped at a new path; returns its URL and Glance-style sha512. */
  serve(data: Buffer): { url: string; sha512: string };
  close(): Promise<void>;
};

export async function startGzipOrigin(): Promise<GzipOrigin> {
  const served = new Map<string, Buffer>();
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    requests.push(request.url ?? "");
    const body = served.get(request.url ?? "");
    if (!body) return void response.writeHead(404).end();
    response.writeHead(200, { "content-length": body.length, "content-type": "application/gzip" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    serve(data) {
      const route = `/artifacts/${crypto.randomUUID()}/${crypto.randomBytes(8).toString("hex")}.gz`;
      served.set(route, zlib.gzipSync(data));
      return { url: url + route, sha512: crypto.createHash("sha512").update(data).digest("hex") };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
