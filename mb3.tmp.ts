import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import zlib from "node:zlib";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { placeImage } from "./agent/download/place-image.ts";
import { serveArtifact } from "./server/origin/serve-artifact.ts";
import { artifactFile, artifactUrlPath, sealedArtifactFile } from "./server/publish/artifact-paths.ts";
import { createSealingStream } from "./server/publish/encrypt-artifact.ts";
const raw = fs.readFileSync("/tmp/precache-bench/image-536870912-11.raw").subarray(0, 256 * 2 ** 20);
const dir = fs.mkdtempSync("/tmp/mb3-");
const gz = zlib.gzipSync(raw, { level: 1 });
const key = crypto.randomBytes(32);
const parts: Buffer[] = [];
await pipeline(
  Readable.from([gz]),
  createSealingStream({ key, chunkBytes: Number(process.env.CHUNK) }),
  new Writable({
    write(c, _e, d) {
      parts.push(c);
      d();
    },
  }),
);
const sealed = Buffer.concat(parts);
const sha = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");
const plainFile = artifactFile(dir, "img", sha(gz));
fs.mkdirSync(path.dirname(plainFile), { recursive: true });
fs.writeFileSync(plainFile, gz);
const sealedFile = sealedArtifactFile(dir, sha(sealed));
fs.mkdirSync(path.dirname(sealedFile), { recursive: true });
fs.writeFileSync(sealedFile, sealed);
const origin = http.createServer((req, res) => void serveArtifact(req, res, new URL(req.url!, "http://x").pathname, dir));
await new Promise<void>((r) => origin.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${(origin.address() as any).port}`;
const hash = { algo: "sha512" as const, value: crypto.createHash("sha512").update(raw).digest("hex") };
const out = fs.mkdtempSync("/tmp/mb3-out-");
for (let i = 0; i < 3; i++) {
  let t = performance.now();
  await placeImage({
    imageId: "img",
    artifactUrl: base + artifactUrlPath({ imageId: "img", sha256: sha(gz), codec: "gzip", encrypted: false }),
    hash,
    cacheDir: out,
    proxies: [],
    allowDirect: true,
    imageSize: raw.length,
  });
  const p = performance.now() - t;
  fs.rmSync(out, { recursive: true });
  fs.mkdirSync(out);
  t = performance.now();
  await placeImage({
    imageId: "img",
    artifactUrl: base + artifactUrlPath({ imageId: "img", sha256: sha(sealed), codec: "gzip", encrypted: true }),
    hash,
    cacheDir: out,
    proxies: [],
    allowDirect: true,
    imageSize: raw.length,
    sealedKey: key.toString("base64"),
  });
  const s = performance.now() - t;
  fs.rmSync(out, { recursive: true });
  fs.mkdirSync(out);
  console.log(`plain ${p.toFixed(0)} sealed ${s.toFixed(0)} ratio ${(p / s).toFixed(2)}`);
}
origin.close();
fs.rmSync(dir, { recursive: true });
fs.rmSync(out, { recursive: true });
