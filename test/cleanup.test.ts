// Cleanup with real parts: a stale image leaves every node except those where a qcow2 instance
// disk (made by qemu-img) is backed by it or a process holds it open; its artifact leaves the
// origin. Pinned images are kept fresh against nova's image cache manager.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import { baseFilePath } from "../agent/download/cache-paths.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { cleanupAndWait, outcomesByName, publishAndWait, rolloutAndWait, startTestServer, type TestServer } from "./support/test-server.ts";

function qemuImg(): string | null {
  try {
    return execFileSync("which", ["qemu-img"]).toString().trim() || null;
  } catch {
    if (process.env.CI) throw new Error("qemu-img missing: CI must install qemu-utils (.ci/run does)");
    console.warn("skipping cleanup tests: qemu-img not installed (apt-get install qemu-utils)");
    return null;
  }
}

describe.skipIf(!qemuImg())("cleanup of stale images", () => {
  let server: TestServer;
  const agents: PrecacheAgent[] = [];
  let root: string;
  let holder: ChildProcess | null = null;
  let image: { id: string; name: string; size: number };
  let artifactUrl: string;

  beforeAll(async () => {
    server = await startTestServer();
    root = fs.mkdtempSync(path.join(os.tmpdir(), "precache-cleanup-"));
    for (const name of ["hv-1", "hv-2", "hv-3"]) {
      // nova's layout: <instances_path>/_base beside <instances_path>/<uuid>/disk
      agents.push(await startTestAgent(server.url, name, { cacheDir: path.join(root, name, "instances", "_base") }));
    }
    image = (await server.api("GET", "/api/images")).body.images[0];
    artifactUrl = (await publishAndWait(server, image.id)).url;
    const rollout = await rolloutAndWait(server, { imageId: image.id });
    expect(rollout.counts.done).toBe(3);
  });
  afterAll(async () => {
    holder?.kill();
    await Promise.allSettled(agents.map((agent) => agent.stop()));
    await server?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("keeps pinned images fresh: the agent touches their base file", async () => {
    const file = baseFilePath(agents[0].config.cacheDir, image.id);
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    fs.utimesSync(file, twoDaysAgo, twoDaysAgo);
    const pinned = await server.api("POST", `/api/images/${image.id}/pin`, { pinned: true });
    expect(pinned.status).toBe(200);
    await expect
      .poll(() => Date.now() - fs.statSync(file).mtimeMs, { message: "the pinned base file's mtime to be refreshed" })
      .toBeLessThan(60_000);
    await server.api("POST", `/api/images/${image.id}/pin`, { pinned: false });
  });

  it("lists the stale image with its space, then frees it everywhere it is not in use", async () => {
    const base2 = baseFilePath(agents[1].config.cacheDir, image.id);
    const instance = path.join(root, "hv-2", "instances", "0b3c5f1e-6a7d-4e8f-9a0b-1c2d3e4f5a6b");
    fs.mkdirSync(instance);
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-b", base2, "-F", "raw", path.join(instance, "disk")]);
    const base3 = baseFilePath(agents[2].config.cacheDir, image.id);
    holder = spawn("tail", ["-f", base3], { stdio: "ignore" });
    await expect
      .poll(() => fs.readdirSync(`/proc/${holder!.pid}/fd`).some((fd) => fs.readlinkSync(`/proc/${holder!.pid}/fd/${fd}`) === base3), {
        message: "tail to open the base file",
      })
      .toBe(true);

    fs.rmSync(path.join(server.dataDir, "images", image.name));
    await server.api("POST", "/api/images/sync", {});
    const stale = await server.api("GET", "/api/cleanup/stale");
    expect(stale.body.images).toHaveLength(1);
    expect(stale.body.images[0]).toMatchObject({
      imageId: image.id,
      reason: "deleted",
      nodes: 3,
      bytes: 3 * image.size,
      hasArtifact: true,
    });
    expect(stale.body.totalBytes).toBe(3 * image.size);

    // Answered at once; each node's outcome and the artifact's removal are read from the history.
    const cleanup = await cleanupAndWait(server, { imageId: image.id });
    expect(cleanup).toMatchObject({ state: "done", nodes: 3, removeArtifact: true, counts: { deleted: 1, refused: 2 } });
    const byName = outcomesByName(cleanup);
    expect(byName["hv-1"]).toMatchObject({ outcome: "deleted", freedBytes: image.size, error: null });
    expect(byName["hv-2"].outcome).toBe("refused");
    expect(byName["hv-2"].error).toMatch(/^IN_USE: .*instance disk .*0b3c5f1e-6a7d-4e8f-9a0b-1c2d3e4f5a6b\/disk/);
    expect(byName["hv-3"].outcome).toBe("refused");
    expect(byName["hv-3"].error).toMatch(/^IN_USE: .*process \d+ \(tail\)/);
    expect(cleanup.freedBytes).toBe(image.size);

    expect(fs.existsSync(baseFilePath(agents[0].config.cacheDir, image.id))).toBe(false);
    expect(fs.existsSync(base2)).toBe(true);
    expect(fs.existsSync(base3)).toBe(true);
    expect(cleanup.artifact).toMatchObject({ outcome: "removed", error: null });
    expect((await fetch(artifactUrl)).status).toBe(404);

    const after = await server.api("GET", "/api/cleanup/stale");
    expect(after.body.images[0]).toMatchObject({ nodes: 2, bytes: 2 * image.size, hasArtifact: false });
  });
});
