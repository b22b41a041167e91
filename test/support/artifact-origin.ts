// The product's own artifact route (serveArtifact) on a bare HTTP server, with a keep-alive the
// test chooses, counting every artifact request and the bytes it was asked to send (re-fetches).
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { artifactFile, artifactUrlPath, sealedArtifactFile } from "../../server/publish/artifact-paths.ts";
import { createSealingStream, newArtifactKey } from "../../server/publish/encrypt-artifact.ts";
import { serveArtifact } from "../../server/origin/serve-artifact.ts";

export type ArtifactOrigin = {
  url: string;
  /** Every artifact GET: its Range header (or null). */
  gets: { range: string | null }[];
  /** Bytes the origin wrote into response bodies, summed. */
  bytesSent(): number;
  close(): Promise<void>;
};
export type ServedImage = { imageId: string; url: string; data: Buffer; sha512: string; compressedSize: number };
export type SealedImage = ServedImage & { sealedKey: string };

/** gzip → seal, as the publisher does for a private image: the artifact bytes and their key. */
export async function sealedArtifact(data: Buffer, chunkBytes?: number): Promise<{ sealed: Buffer; key: Buffer }> {
  const key = newArtifactKey();
  const sealing = createSealingStream({ key, chunkBytes });
  const out: Buffer[] = [];
  sealing.on("data", (chunk: Buffer) => out.push(chunk));
  await new Promise<void>((resolve, reject) => {
    sealing.on("end", resolve).on("error", reject);
    sealing.end(zlib.gzipSync(data, { level: 1 }));
  });
  return { sealed: Buffer.concat(out), key };
}

export async function startArtifactOrigin(
  options: { keepAliveTimeoutMs?: number } = {},
): Promise<ArtifactOrigin & { publish(data: Buffer): ServedImage; publishSealed(data: Buffer): Promise<SealedImage> }> {
  const artifactDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-origin-"));
  const gets: { range: string | null }[] = [];
  let sent = 0;
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? "/", "http://x").pathname;
    if (req.method === "GET") gets.push({ range: req.headers.range ?? null });
    const write = res.write.bind(res);
    res.write = ((chunk: Buffer, ...rest: never[]) => {
      sent += chunk.length;
      return write(chunk, ...rest);
    }) as typeof res.write;
    void serveArtifact(req, res, pathname, artifactDir);
  });
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    gets,
    bytesSent: () => sent,
    publish(data) {
      const gz = zlib.gzipSync(data, { level: 1 });
      const sha256 = crypto.createHash("sha256").update(gz).digest("hex");
      const imageId = crypto.randomUUID();
      const file = artifactFile(artifactDir, imageId, sha256);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, gz);
      return {
        imageId,
        url: `${url}/artifacts/${imageId}/${sha256}.gz`,
        data,
        sha512: crypto.createHash("sha512").update(data).digest("hex"),
        compressedSize: gz.length,
      };
    },
    async publishSealed(data) {
      const { sealed, key } = await sealedArtifact(data);
      const sha256 = crypto.createHash("sha256").update(sealed).digest("hex");
      const file = sealedArtifactFile(artifactDir, sha256);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, sealed);
      return {
        imageId: crypto.randomUUID(),
        url: url + artifactUrlPath({ imageId: "", sha256, codec: "gzip", encrypted: true }),
        data,
        sha512: crypto.createHash("sha512").update(data).digest("hex"),
        compressedSize: sealed.length,
        sealedKey: key.toString("base64"),
      };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(artifactDir, { recursive: true, force: true });
    },
  };
}
