// Sealed artifacts on the origin: named by the ciphertext's sha256 alone, served with the same
// cache headers as any artifact but as opaque bytes, ranges included; nothing else under the name.
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactFile, artifactUrlPath, sealedArtifactFile } from "../publish/artifact-paths.ts";
import { serveArtifact } from "./serve-artifact.ts";

let artifactDir: string;
let server: http.Server;
let base: string;
const sealed = crypto.randomBytes(5000);
const sha256 = crypto.createHash("sha256").update(sealed).digest("hex");

beforeAll(async () => {
  artifactDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-sealed-origin-"));
  fs.mkdirSync(path.dirname(sealedArtifactFile(artifactDir, sha256)), { recursive: true });
  fs.writeFileSync(sealedArtifactFile(artifactDir, sha256), sealed);
  // An image whose id is "sealed" keeps its plain artifacts apart: other dir, other extension.
  fs.mkdirSync(path.dirname(artifactFile(artifactDir, "sealed", sha256)), { recursive: true });
  fs.writeFileSync(artifactFile(artifactDir, "sealed", sha256), "plain gzip of the image called sealed");
  server = http.createServer((req, res) => void serveArtifact(req, res, (req.url ?? "/").split("?")[0], artifactDir));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(artifactDir, { recursive: true, force: true });
});

describe("sealed artifacts on the origin", () => {
  const sealedPath = artifactUrlPath({ imageId: "any-image", sha256, codec: "gzip", encrypted: true });

  it("has a URL without the image's id", () => {
    expect(sealedPath).toBe(`/artifacts/sealed/${sha256}.sealed`);
  });

  it("serves the ciphertext with cache-friendly headers, as opaque bytes", async () => {
    const response = await fetch(base + sealedPath);
    expect(response.status).toBe(200);
    expect(Object.fromEntries(response.headers)).toMatchObject({
      "content-type": "application/octet-stream",
      "cache-control": "public, max-age=31536000, immutable",
      etag: `"${sha256}"`,
      "accept-ranges": "bytes",
      "content-length": String(sealed.length),
    });
    expect(response.headers.get("content-encoding")).toBeNull();
    expect(Buffer.from(await response.arrayBuffer()).equals(sealed)).toBe(true);
  });

  it("answers a range from a chunk boundary", async () => {
    const response = await fetch(base + sealedPath, { headers: { range: "bytes=1044-" } });
    expect(response.status).toBe(206);
    expect(response.headers.get("content-range")).toBe(`bytes 1044-4999/5000`);
    expect(Buffer.from(await response.arrayBuffer()).equals(sealed.subarray(1044))).toBe(true);
  });

  it.each([
    `/artifacts/sealed/${sha256.toUpperCase()}.sealed`,
    `/artifacts/sealed/${sha256.slice(1)}.sealed`,
    `/artifacts/_sealed/${sha256}.sealed`,
    `/artifacts/any-image/${sha256}.sealed`,
  ])("404 for %s", async (pathname) => {
    expect((await fetch(base + pathname)).status).toBe(404);
  });

  it("still serves the plain artifact of an image whose id is 'sealed'", async () => {
    const response = await fetch(`${base}/artifacts/sealed/${sha256}.gz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("plain gzip of the image called sealed");
  });
});
