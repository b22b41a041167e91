// The single-file agent for hypervisors: built with esbuild, run with plain node (no
// node_modules beside it), it enrols, precaches and reports like the library agent.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { baseFilePath } from "../agent/download/cache-paths.ts";
import { AGENT_TOKEN, publishAndWait, rolloutAndWait, startTestServer, type TestServer } from "./support/test-server.ts";

describe("bundled agent (dist/precache-agent.mjs)", () => {
  let server: TestServer;
  let agent: ChildProcess;
  let dir: string;
  let output = "";

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-bundle-"));
    const bundle = path.join(dir, "precache-agent.mjs");
    execFileSync(process.execPath, ["scripts/build-agent.mjs", bundle], { cwd: path.resolve(import.meta.dirname, "..") });
    server = await startTestServer();
    // Run from a directory with no node_modules: the bundle must carry everything.
    agent = spawn(
      process.execPath,
      [
        bundle,
        "--server",
        server.url,
        "--token",
        AGENT_TOKEN,
        "--name",
        "hv-bundled",
        "--cache-dir",
        path.join(dir, "_base"),
        "--allow-direct",
      ],
      {
        cwd: dir,
        env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", NODE_ENV: "production" },
      },
    );
    agent.stdout!.on("data", (chunk) => (output += chunk));
    agent.stderr!.on("data", (chunk) => (output += chunk));
    // vi.waitFor, not expect.poll: this is a hook, not a test.
    await vi.waitFor(
      async () => {
        const { hypervisors } = (await server.api("GET", "/api/hypervisors")).body;
        expect(hypervisors).toContainEqual(expect.objectContaining({ name: "hv-bundled", online: true }));
      },
      { timeout: 30_000, interval: 100 },
    );
  });
  afterAll(async () => {
    agent?.kill("SIGTERM");
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("precaches the image, verified, and shuts down cleanly on SIGTERM", async () => {
    const image = (await server.api("GET", "/api/images")).body.images[0];
    await publishAndWait(server, image.id);
    const rollout = await rolloutAndWait(server, { imageId: image.id });
    expect(rollout, output).toMatchObject({ state: "done", counts: { done: 1 } });
    const placed = fs.readFileSync(baseFilePath(path.join(dir, "_base"), image.id));
    expect(crypto.createHash("sha512").update(placed).digest("hex")).toBe(image.osHashValue);
    agent.kill("SIGTERM");
    const code = await new Promise((resolve) => agent.once("exit", resolve));
    expect(code).toBe(0);
  });
});
