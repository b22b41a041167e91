// Fetching from peers: the next source continues from the same byte when a peer dies or refuses.
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { artifactChunks } from "../download/artifact-chunks.ts";
import { ArtifactSpool } from "./artifact-spool.ts";
import { PeerServer } from "./peer-server.ts";

const ROLLOUT = "11111111-2222-4333-8444-555555555555";
const TOKEN = "peer-token-abcdefghijklmnop";
const artifact = crypto.randomBytes(2_000_000);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The origin (standing in for the Squid route): answers Range and records what it was asked. */
async function origin(): Promise<{ url: string; ranges: (string | null)[] }> {
  const ranges: (string | null)[] = [];
  const server = http.createServer((request, response) => {
    ranges.push(request.headers.range ?? null);
    const start = Number(/^bytes=(\d+)-$/.exec(request.headers.range ?? "")?.[1] ?? 0);
    const headers: http.OutgoingHttpHeaders = { "content-length": String(artifact.length - start) };
    if (start) headers["content-range"] = `bytes ${start}-${artifact.length - 1}/${artifact.length}`;
    response.writeHead(start ? 206 : 200, headers).end(artifact.subarray(start));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/artifacts/a.gz`, ranges };
}

async function peer(bytes: Buffer, bytesPerSecond?: number): Promise<{ server: PeerServer; url: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-peer-"));
  const spool = new ArtifactSpool(dir, 1 << 30);
  const writer = spool.writer("a", bytes.length);
  writer.write(bytes);
  await writer.commit();
  const server = new PeerServer({ spool, bytesPerSecond });
  const base = await server.listen("127.0.0.1", 0);
  server.grant({ rolloutId: ROLLOUT, key: "a", token: TOKEN, expiresAt: Date.now() + 60_000 });
  cleanups.push(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { server, url: `${base}/peer/${ROLLOUT}` };
}

async function fetchAll(options: Parameters<typeof artifactChunks>[0]): Promise<{ bytes: Buffer; sources: Map<string, number> }> {
  const sources = new Map<string, number>();
  const chunks: Buffer[] = [];
  for await (const chunk of artifactChunks({
    ...options,
    onSourceBytes: (source, n) => sources.set(source, (sources.get(source) ?? 0) + n),
  })) {
    chunks.push(chunk);
  }
  return { bytes: Buffer.concat(chunks), sources };
}

describe("fetching from peers", () => {
  it("takes every byte from a peer that holds the artifact, none from the proxy route", async () => {
    const source = await origin();
    const holder = await peer(artifact);
    const result = await fetchAll({
      url: source.url,
      proxies: [],
      allowDirect: true,
      peers: [{ name: "hv-1", url: holder.url, token: TOKEN }],
    });
    expect(result.bytes.equals(artifact)).toBe(true);
    expect(result.sources.get("peer:hv-1")).toBe(artifact.length);
    expect(source.ranges).toEqual([]);
  });

  it("continues at the same byte on the next source when a peer dies mid-transfer", async () => {
    const source = await origin();
    const holder = await peer(artifact, 1_000_000);
    const fetched = fetchAll({ url: source.url, proxies: [], allowDirect: true, peers: [{ name: "hv-1", url: holder.url, token: TOKEN }] });
    await new Promise((resolve) => setTimeout(resolve, 700));
    await holder.server.close();
    const result = await fetched;
    expect(result.bytes.equals(artifact)).toBe(true);
    const fromPeer = result.sources.get("peer:hv-1") ?? 0;
    expect(fromPeer).toBeGreaterThan(100_000);
    expect(source.ranges).toEqual([`bytes=${fromPeer}-`]);
    expect(result.sources.get("direct")).toBe(artifact.length - fromPeer);
  });

  it("skips peers that refuse (wrong token, not holding) and goes on to the proxy route", async () => {
    const source = await origin();
    const holder = await peer(artifact);
    const result = await fetchAll({
      url: source.url,
      proxies: [],
      allowDirect: true,
      peers: [
        { name: "stranger", url: holder.url, token: "not-the-token-0123456789" },
        { name: "gone", url: "http://127.0.0.1:1/peer/x", token: TOKEN },
      ],
    });
    expect(result.bytes.equals(artifact)).toBe(true);
    expect([...result.sources.keys()]).toEqual(["direct"]);
    expect(source.ranges).toEqual([null]);
  });
});
