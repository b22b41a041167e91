// An origin for what a real one will not do on demand: serve a sealed artifact altered in transit
// or at rest (a flipped byte, a cut tail, two chunks swapped), with every header that makes Squid
// cache it, until told to heal. Each altered object is consistent in itself (its Content-Length is
// its own length), as a corrupted cache entry would be, so only the cryptography can catch it.
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { TAG_BYTES, chunkOffset } from "../../protocol/sealed-stream.ts";

export type Tamper = "flip" | "truncate-mid-chunk" | "drop-final-chunk" | "swap-chunks";

export type TamperingOrigin = {
  /** Serves `sealed`, altered by `tamper`, under a fresh URL; `heal()` serves it intact from then on. */
  serve(sealed: Buffer, chunkBytes: number, tamper: Tamper): { url: string; heal(): void; requests(): number };
  close(): Promise<void>;
};

export function tampered(sealed: Buffer, chunkBytes: number, tamper: Tamper): Buffer {
  const stride = chunkBytes + TAG_BYTES;
  const copy = Buffer.from(sealed);
  switch (tamper) {
    case "flip":
      copy[chunkOffset(1, chunkBytes) + 100] ^= 0x40;
      return copy;
    case "truncate-mid-chunk":
      return copy.subarray(0, copy.length - 100);
    case "drop-final-chunk":
      return copy.subarray(0, chunkOffset(Math.floor((sealed.length - chunkOffset(0, chunkBytes) - 1) / stride), chunkBytes));
    case "swap-chunks":
      sealed.copy(copy, chunkOffset(1, chunkBytes), chunkOffset(2, chunkBytes), chunkOffset(2, chunkBytes) + stride);
      sealed.copy(copy, chunkOffset(2, chunkBytes), chunkOffset(1, chunkBytes), chunkOffset(1, chunkBytes) + stride);
      return copy;
  }
}

export async function startTamperingOrigin(): Promise<TamperingOrigin> {
  const objects = new Map<string, { body: () => Buffer; requests: number }>();
  const lastModified = new Date(Date.now() - 60_000).toUTCString();
  const server = http.createServer((req, res) => {
    const object = objects.get(req.url ?? "");
    if (!object) return void res.writeHead(404).end();
    object.requests++;
    const body = object.body();
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = match ? Math.min(Number(match[1]), body.length) : 0;
    res.writeHead(match ? 206 : 200, {
      "content-type": "application/octet-stream",
      "content-length": String(body.length - start),
      "cache-control": "public, max-age=31536000, immutable",
      "last-modified": lastModified,
      "accept-ranges": "bytes",
      ...(match ? { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    res.end(body.subarray(start));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    serve(sealed, chunkBytes, tamper) {
      const path = `/artifacts/sealed/${crypto.createHash("sha256").update(sealed).update(tamper).digest("hex")}.sealed`;
      const bad = tampered(sealed, chunkBytes, tamper);
      let isHealed = false;
      const object = { body: () => (isHealed ? sealed : bad), requests: 0 };
      objects.set(path, object);
      return { url: base + path, heal: () => void (isHealed = true), requests: () => object.requests };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
