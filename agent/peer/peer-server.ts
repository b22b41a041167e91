// The agent's side of the peer tier: serves the compressed artifacts it holds to the nodes of
// its group, over HTTP with Range, and only
//   - for a rollout the server named it a target of (a grant, which expires),
//   - to a requester presenting that rollout's token (which only the rollout's targets get),
//   - at a bounded rate and number of uploads, so its own VMs keep their link.
// Everything else is a 4xx at once. Bytes are verified end to end by whoever fetches them.
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createPacer, type Pacer } from "../download/throttle.ts";
import type { ArtifactSpool } from "./artifact-spool.ts";

export type PeerGrant = { rolloutId: string; key: string; token: string; expiresAt: number };
export type PeerServerOptions = {
  spool: ArtifactSpool;
  /** Upload cap in bytes per second, shared by all uploads (default: unlimited). */
  bytesPerSecond?: number | null;
  /** Uploads at once; one more is answered 503 and the peer tries elsewhere. */
  maxUploads?: number;
  now?: () => number;
};

const ROLLOUT_PATH = /^\/peer\/([0-9a-f-]{36})$/;
const READ_BYTES = 256 * 1024;

export class PeerServer {
  private readonly grants = new Map<string, { key: string; tokenHash: Buffer; expiresAt: number }>();
  private readonly server: http.Server;
  private readonly pacer: Pacer | null;
  private uploads = 0;
  /** Bytes sent to peers since start (for the agent's report). */
  bytesServed = 0;

  constructor(private readonly options: PeerServerOptions) {
    this.pacer = options.bytesPerSecond ? createPacer(options.bytesPerSecond) : null;
    this.server = http.createServer((request, response) => void this.answer(request, response));
    this.server.requestTimeout = 30_000;
    this.server.headersTimeout = 10_000;
  }

  async listen(host: string, port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    return `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  }

  grant(grant: PeerGrant): void {
    this.grants.set(grant.rolloutId, { key: grant.key, tokenHash: digest(grant.token), expiresAt: grant.expiresAt });
  }

  revoke(rolloutId: string): void {
    this.grants.delete(rolloutId);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async answer(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    try {
      await this.serve(request, response);
    } catch {
      if (!response.headersSent) refuse(response, 500, "cannot read the artifact");
      else response.destroy();
    }
  }

  private async serve(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    if (request.method !== "GET" && request.method !== "HEAD") return refuse(response, 405, "GET only");
    const match = ROLLOUT_PATH.exec(request.url ?? "");
    if (!match) return refuse(response, 404, "no such path");
    const grant = this.grants.get(match[1]);
    const token = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(request.headers.authorization ?? "")?.[1];
    if (!grant || (this.options.now ?? Date.now)() > grant.expiresAt) return refuse(response, 404, "not serving this rollout");
    if (!token || !crypto.timingSafeEqual(digest(token), grant.tokenHash)) return refuse(response, 403, "wrong token for this rollout");
    const entry = this.options.spool.entry(grant.key);
    if (!entry) return refuse(response, 404, "artifact not held");
    const range = parseRange(request.headers.range, entry.size);
    if (range === "invalid") {
      response.writeHead(416, { "content-range": `bytes */${entry.size}` }).end();
      return;
    }
    if (this.uploads >= (this.options.maxUploads ?? 4)) {
      response.writeHead(503, { "retry-after": "1", "content-type": "text/plain" }).end("busy: try another source");
      return;
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? entry.size - 1;
    const headers: http.OutgoingHttpHeaders = {
      "content-type": "application/gzip",
      "content-length": String(end - start + 1),
      "accept-ranges": "bytes",
      "cache-control": "no-store",
    };
    if (range) headers["content-range"] = `bytes ${start}-${end}/${entry.size}`;
    response.writeHead(range ? 206 : 200, headers);
    if (request.method === "HEAD") return void response.end();
    this.uploads += 1;
    try {
      await this.send(entry.file, start, end, response);
    } finally {
      this.uploads -= 1;
    }
  }

  /** Reads and writes in pieces, pacing before each, and stops when the peer goes away. */
  private async send(file: string, start: number, end: number, response: http.ServerResponse): Promise<void> {
    const handle = await fs.promises.open(file, "r");
    try {
      const buffer = Buffer.allocUnsafe(READ_BYTES);
      for (let position = start; position <= end && !response.destroyed; ) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(READ_BYTES, end - position + 1), position);
        if (bytesRead === 0) break;
        const waitMs = this.pacer?.take(bytesRead) ?? 0;
        if (waitMs > 0) await sleep(waitMs);
        const piece = Buffer.from(buffer.subarray(0, bytesRead));
        position += bytesRead;
        this.bytesServed += bytesRead;
        if (!response.write(piece)) await drained(response);
      }
      response.end();
    } finally {
      await handle.close();
    }
  }
}

/** Until the response can take more, or is gone (listeners removed either way: one wait per piece). */
function drained(response: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off("drain", done);
      response.off("close", done);
      resolve();
    };
    response.on("drain", done);
    response.on("close", done);
  });
}

function refuse(response: http.ServerResponse, status: number, message: string): void {
  response.writeHead(status, { "content-type": "text/plain" }).end(message);
}

function digest(token: string): Buffer {
  return crypto.createHash("sha256").update(token).digest();
}

/** `bytes=N-` or `bytes=N-M` within the file; anything else is ignored (whole file) or invalid. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | "invalid" | null {
  if (!header) return null;
  const match = /^bytes=(\d{1,15})-(\d{0,15})$/.exec(header);
  if (!match) return null;
  const start = Number(match[1]);
  const end = match[2] ? Math.min(Number(match[2]), size - 1) : size - 1;
  if (start >= size || end < start) return "invalid";
  return { start, end };
}
