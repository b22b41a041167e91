import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ArtifactSpool } from "./artifact-spool.ts";
import { PeerServer } from "./peer-server.ts";

const ROLLOUT = "11111111-2222-4333-8444-555555555555";
const TOKEN = "peer-token-abcdefghijklmnop";
const dirs: string[] = [];
const servers: PeerServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function spoolDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-spool-"));
  dirs.push(dir);
  return dir;
}

async function spooled(bytes: Buffer, cap = 1 << 30): Promise<ArtifactSpool> {
  const spool = new ArtifactSpool(spoolDir(), cap);
  const writer = spool.writer("image-a", bytes.length);
  for (let at = 0; at < bytes.length; at += 1000) writer.write(bytes.subarray(at, at + 1000));
  await writer.commit();
  return spool;
}

async function serving(spool: ArtifactSpool, options: { maxUploads?: number; bytesPerSecond?: number } = {}) {
  const server = new PeerServer({ spool, ...options });
  servers.push(server);
  const url = await server.listen("127.0.0.1", 0);
  server.grant({ rolloutId: ROLLOUT, key: "image-a", token: TOKEN, expiresAt: Date.now() + 60_000 });
  return { server, url };
}

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers });

describe("artifact spool", () => {
  it("serves only committed copies, and a discarded one never appears", async () => {
    const spool = new ArtifactSpool(spoolDir(), 1 << 20);
    const writer = spool.writer("image-b", 3);
    writer.write(Buffer.from("abc"));
    expect(spool.entry("image-b")).toBeNull();
    await writer.discard();
    expect(spool.entry("image-b")).toBeNull();
    expect(fs.readdirSync(spool.dir)).toEqual([]);
  });

  it("makes room by removing the oldest copies, and drops a copy that outgrows the cap", async () => {
    const spool = new ArtifactSpool(spoolDir(), 2500);
    for (const key of ["old", "newer"]) {
      const writer = spool.writer(key, 1000);
      writer.write(Buffer.alloc(1000));
      await writer.commit();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const third = spool.writer("third", 1000);
    third.write(Buffer.alloc(1000));
    await third.commit();
    expect(spool.entry("old")).toBeNull();
    expect(spool.entry("newer")?.size).toBe(1000);
    const huge = spool.writer("huge", null);
    huge.write(Buffer.alloc(3000));
    expect(await huge.commit()).toBeNull();
    expect(spool.entry("huge")).toBeNull();
  });

  it("refuses keys that could name another file", () => {
    const spool = new ArtifactSpool(spoolDir(), 1 << 20);
    expect(spool.entry("../etc/passwd")).toBeNull();
  });
});

describe("peer server", () => {
  const artifact = crypto.randomBytes(300_000);

  it("serves the artifact with the rollout's token, whole and from a byte on", async () => {
    const { url } = await serving(await spooled(artifact));
    const whole = await get(`${url}/peer/${ROLLOUT}`, { authorization: `Bearer ${TOKEN}` });
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(artifact)).toBe(true);
    const tail = await get(`${url}/peer/${ROLLOUT}`, { authorization: `Bearer ${TOKEN}`, range: "bytes=123456-" });
    expect(tail.status).toBe(206);
    expect(tail.headers.get("content-range")).toBe(`bytes 123456-299999/300000`);
    expect(Buffer.from(await tail.arrayBuffer()).equals(artifact.subarray(123456))).toBe(true);
  });

  it("answers strangers, other rollouts, expired grants and junk with a 4xx", async () => {
    const { url, server } = await serving(await spooled(artifact));
    expect((await get(`${url}/peer/${ROLLOUT}`)).status).toBe(403);
    expect((await get(`${url}/peer/${ROLLOUT}`, { authorization: "Bearer wrong-token-0123456789" })).status).toBe(403);
    const other = "99999999-2222-4333-8444-555555555555";
    expect((await get(`${url}/peer/${other}`, { authorization: `Bearer ${TOKEN}` })).status).toBe(404);
    expect((await get(`${url}/../../etc/passwd`)).status).toBe(404);
    expect((await fetch(`${url}/peer/${ROLLOUT}`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
    const beyond = await get(`${url}/peer/${ROLLOUT}`, { authorization: `Bearer ${TOKEN}`, range: "bytes=300000-" });
    expect(beyond.status).toBe(416);
    server.grant({ rolloutId: ROLLOUT, key: "image-a", token: TOKEN, expiresAt: Date.now() - 1 });
    expect((await get(`${url}/peer/${ROLLOUT}`, { authorization: `Bearer ${TOKEN}` })).status).toBe(404);
  });

  it("sends at most its upload rate and turns away uploads beyond its bound", async () => {
    const { url } = await serving(await spooled(artifact), { bytesPerSecond: 400_000, maxUploads: 1 });
    const began = performance.now();
    const first = get(`${url}/peer/${ROLLOUT}`, { authorization: `Bearer ${TOKEN}` });
    const firstResponse = await first;
    const second = await get(`${url}/peer/${ROLLOUT}`, { authorization: `Bearer ${TOKEN}` });
    expect(second.status).toBe(503);
    await firstResponse.arrayBuffer();
    // 300 kB at 400 kB/s with a 0.25 s burst: at least ~0.45 s.
    expect(performance.now() - began).toBeGreaterThan(400);
  });
});
