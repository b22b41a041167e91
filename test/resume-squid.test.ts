// Resume through real Squids: a throttled client slower than Squid's idle timeout, a tier-2
// Squid SIGKILLed mid-transfer with one proxy configured (restarted on its port), and a local
// error (bad gzip) that must not send the download to the second proxy.
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { placeImage } from "../agent/download/place-image.ts";
import { partFilePath } from "../agent/download/cache-paths.ts";
import { startArtifactOrigin, type ServedImage } from "./support/artifact-origin.ts";
import { mountSmallDisk, unmount } from "./support/small-disk.ts";
import { artifactEntries, shouldSkipSquidTests, startSquid, type RunningSquid } from "./support/squid.ts";

describe.skipIf(shouldSkipSquidTests("squid resume"))("downloads resume through real Squids", () => {
  let origin: Awaited<ReturnType<typeof startArtifactOrigin>>;
  const squids: RunningSquid[] = [];
  const dirs: string[] = [];
  beforeAll(async () => {
    origin = await startArtifactOrigin();
  });
  afterAll(async () => {
    await Promise.allSettled(squids.map((squid) => squid.stop()));
    await origin?.close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });
  async function squid(options: Parameters<typeof startSquid>[0]): Promise<RunningSquid> {
    const started = await startSquid(options);
    squids.push(started);
    return started;
  }
  function cacheDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-resume-"));
    dirs.push(dir);
    return dir;
  }
  const place = (image: ServedImage, proxies: string[], extra: Partial<Parameters<typeof placeImage>[0]> = {}) =>
    placeImage({
      imageId: image.imageId,
      artifactUrl: image.url,
      hash: { algo: "sha512", value: image.sha512 },
      cacheDir: cacheDir(),
      proxies,
      imageSize: image.data.length,
      ...extra,
    });

  it("completes every run when the client is throttled slower than Squid's idle timeout", async () => {
    // client_idle_pconn_timeout is Squid's keep-alive (2 min by default): 1 s here, same race.
    const proxy = await squid({ name: "idle", extraConfig: ["client_idle_pconn_timeout 1 second", "read_timeout 5 seconds"] });
    const image = origin.publish(crypto.randomBytes(4 * 1024 * 1024));
    const failures: string[] = [];
    const runs = 4;
    for (let run = 0; run < runs; run++) {
      const routes: number[] = [];
      const placed = await place(image, [proxy.url], {
        bandwidthBytesPerSecond: 1024 * 1024,
        onRoute: (_route, offset) => routes.push(offset),
      }).catch((error: Error) => (failures.push(`run ${run}: ${error.message}`), null));
      if (placed && routes.length !== 1) failures.push(`run ${run}: resumed at ${routes.join(", ")}`);
    }
    console.log(`through squid, throttled: ${runs - failures.length}/${runs} runs clean`);
    expect(failures).toEqual([]);
  });

  it("continues from the same byte when the only proxy (tier 2) is SIGKILLed and comes back 3 s later", async () => {
    const tier1 = await squid({ name: "t1" });
    const parent = { host: "127.0.0.1", port: tier1.port };
    const tier2 = await squid({ name: "t2", parent });
    const image = origin.publish(crypto.randomBytes(24 * 1024 * 1024));
    const routes: { route: string; offset: number }[] = [];
    let killedAt: number | null = null;
    let restarted: Promise<RunningSquid> | null = null;
    const placed = await place(image, [tier2.url], {
      bandwidthBytesPerSecond: 8 * 1024 * 1024,
      onRoute: (route, offset) => routes.push({ route, offset }),
      onProgress(bytes) {
        if (killedAt !== null || bytes < image.data.length / 3) return;
        killedAt = bytes;
        process.kill(tier2.pid, "SIGKILL");
        restarted = tier2
          .kill()
          .then(() => new Promise((resolve) => setTimeout(resolve, 3_000)))
          .then(() => squid({ name: "t2", parent, port: tier2.port }));
      },
    });
    const again = await restarted!;
    expect(killedAt).not.toBeNull();
    expect(fs.readFileSync(placed.path).equals(image.data)).toBe(true);
    expect(fs.existsSync(partFilePath(path.dirname(placed.path), image.imageId))).toBe(false);

    // Every request after the first starts at the byte the first reached: a continuation.
    const resumedAt = routes[1].offset;
    expect(routes[0]).toEqual({ route: tier2.url, offset: 0 });
    expect(resumedAt).toBeGreaterThan(0);
    expect(routes.slice(1).every((entry) => entry.route === tier2.url && entry.offset === resumedAt)).toBe(true);
    const [entry] = await artifactEntries(again, image.url, 1);
    expect(entry).toMatchObject({ status: 206, range: `bytes=${resumedAt}-` });
    // Bytes on the wire after the restart beyond what was still missing: headers only.
    const refetched = entry.bytes - (image.compressedSize - resumedAt);
    console.log(
      `one proxy, tier 2 killed at ${resumedAt} B and back after 3 s: ${routes.length - 1} resume requests, ${refetched} B re-fetched (response headers)`,
    );
    expect(refetched).toBeLessThan(1024);
  });

  it("does not try the second proxy after a local error (bad gzip)", async () => {
    const bad = await startBadGzipOrigin(8 * 1024 * 1024);
    try {
      const first = await squid({ name: "local-1" });
      const second = await squid({ name: "local-2" });
      const image: ServedImage = {
        imageId: crypto.randomUUID(),
        url: bad.url,
        data: Buffer.alloc(1),
        sha512: "0".repeat(128),
        compressedSize: 0,
      };
      await expect(place(image, [first.url, second.url], { imageSize: null })).rejects.toMatchObject({ code: "DECOMPRESS_FAILED" });
      await artifactEntries(first, bad.url, 1);
      await new Promise((resolve) => setTimeout(resolve, 500)); // a late request to the second would show by now
      expect(await second.accessLog()).toEqual([]);
      expect(bad.requests()).toBe(1);
    } finally {
      await bad.close();
    }
  });

  it("does not try the second proxy when the disk fills during the write", async () => {
    const disk = mountSmallDisk(8);
    if (!disk) return;
    try {
      const first = await squid({ name: "full-1" });
      const second = await squid({ name: "full-2" });
      const image = origin.publish(crypto.randomBytes(24 * 1024 * 1024));
      // imageSize null skips the up-front room check, so ENOSPC happens mid-transfer.
      const attempt = placeImage({
        imageId: image.imageId,
        artifactUrl: image.url,
        hash: { algo: "sha512", value: image.sha512 },
        cacheDir: disk,
        proxies: [first.url, second.url],
        imageSize: null,
      });
      await expect(attempt).rejects.toMatchObject({ code: "DISK_FULL" });
      await artifactEntries(first, image.url, 1);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await second.accessLog()).toEqual([]);
      // Re-fetched bytes: none; a local error is not retried, not even on the same proxy.
      expect((await first.accessLog()).filter((entry) => entry.url === image.url)).toHaveLength(1);
      expect(fs.readdirSync(disk)).toEqual([]); // no .part
    } finally {
      unmount(disk);
    }
  });
});

/** A gzip header followed by noise: gunzip fails early, while the proxy is still sending. */
async function startBadGzipOrigin(bytes: number): Promise<{ url: string; requests(): number; close(): Promise<void> }> {
  const body = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), crypto.randomBytes(bytes)]);
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests++;
    res.writeHead(200, {
      "content-type": "application/gzip",
      "content-length": body.length,
      "cache-control": "public, max-age=60",
      "last-modified": new Date(0).toUTCString(),
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/artifacts/bad/${"0".repeat(64)}.gz`;
  return {
    url,
    requests: () => requests,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
