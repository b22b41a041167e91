// Nothing lands under nova's name unless it is complete and matches Glance's hash: a corrupted
// artifact or a wrong expected hash fails with a stable code and leaves no file, not even `.part`.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AgentError } from "../agent/agent-error.ts";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import { baseFilePath } from "../agent/download/cache-paths.ts";
import { baseFileName } from "../protocol/nova-files.ts";
import { placeImage } from "../agent/download/place-image.ts";
import { artifactFile } from "../server/publish/artifact-paths.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { publishAndWait, rolloutAndWait, startTestServer, type TestServer } from "./support/test-server.ts";

const REPO = path.resolve(import.meta.dirname, "..");

describe("verification before placing", () => {
  let server: TestServer;
  let agent: PrecacheAgent;
  let image: { id: string; name: string; size: number; osHashValue: string };
  let artifact: { url: string; sha256: string; compressedSize: number };
  let original: Buffer;
  let restoreArtifact: (() => void) | null = null;
  const tempDirs: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    agent = await startTestAgent(server.url, "hv-verify");
    tempDirs.push(server.dataDir, agent.config.cacheDir);
    image = (await server.api("GET", "/api/images")).body.images[0];
    artifact = await publishAndWait(server, image.id);
    original = fs.readFileSync(path.join(server.dataDir, "images", image.name));
  });
  afterEach(() => {
    restoreArtifact?.();
    restoreArtifact = null;
  });
  afterAll(async () => {
    await agent?.stop();
    await server?.close();
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  function cacheDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-verify-"));
    tempDirs.push(dir);
    return dir;
  }

  /** Flips 4 KiB in the middle of the artifact on disk (same size, same name); undone after the test. */
  function corruptArtifact(): void {
    const file = artifactFile(server.context.env.artifactDir, image.id, artifact.sha256);
    const size = fs.statSync(file).size;
    expect(size).toBe(artifact.compressedSize);
    const position = Math.floor(size / 2);
    const saved = Buffer.alloc(4096);
    const fd = fs.openSync(file, "r+");
    try {
      fs.readSync(fd, saved, 0, saved.length, position);
      fs.writeSync(fd, Buffer.from(saved.map((byte) => byte ^ 0xff)), 0, saved.length, position);
    } finally {
      fs.closeSync(fd);
    }
    expect(fs.statSync(file).size).toBe(size);
    restoreArtifact = () => {
      const restore = fs.openSync(file, "r+");
      fs.writeSync(restore, saved, 0, saved.length, position);
      fs.closeSync(restore);
    };
  }

  async function placeDirect(dir: string, hashValue: string) {
    return placeImage({
      imageId: image.id,
      artifactUrl: artifact.url,
      hash: { algo: "sha512", value: hashValue },
      cacheDir: dir,
      proxies: [],
      allowDirect: true,
      imageSize: image.size,
    });
  }

  async function expectAgentError(promise: Promise<unknown>): Promise<AgentError> {
    const error = await promise.then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error, "placing should have failed").toBeInstanceOf(AgentError);
    return error as AgentError;
  }

  it("places the intact artifact (the control for the failures below)", async () => {
    const dir = cacheDir();
    const placed = await placeDirect(dir, image.osHashValue);
    expect(fs.readFileSync(placed.path).equals(original)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual([baseFileName(image.id)]);
  });

  it("rejects a corrupted artifact and leaves no file", async () => {
    corruptArtifact();
    const dir = cacheDir();
    const error = await expectAgentError(placeDirect(dir, image.osHashValue));
    expect(error.code).toMatch(/^(DECOMPRESS_FAILED|HASH_MISMATCH)$/);
    expect(error.isRetryable).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("rejects intact data that does not match the expected hash and leaves no file", async () => {
    const wrong = (image.osHashValue[0] === "0" ? "1" : "0") + image.osHashValue.slice(1);
    const dir = cacheDir();
    const error = await expectAgentError(placeDirect(dir, wrong));
    expect(error.code).toBe("HASH_MISMATCH");
    expect(error.message).toContain(image.osHashValue); // what the data really hashes to
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("fails a rollout whose artifact is corrupted, naming the reason, with no base file", async () => {
    corruptArtifact();
    // One attempt: the scheduler would otherwise retry bad data with a backoff of seconds.
    const request = { imageId: image.id, hypervisors: ["hv-verify"], maxAttempts: 1 };
    const rollout = await rolloutAndWait(server, request);
    expect(rollout).toMatchObject({ state: "failed", counts: { done: 0, failed: 1 } });
    expect(rollout.hypervisors[0]).toMatchObject({
      name: "hv-verify",
      state: "failed",
      attempts: 1,
      error: expect.stringMatching(/DECOMPRESS_FAILED|HASH_MISMATCH/),
    });
    expect(fs.existsSync(baseFilePath(agent.config.cacheDir, image.id))).toBe(false);
    expect(fs.readdirSync(agent.config.cacheDir)).toEqual([]);

    const { body } = await server.api("GET", "/api/hypervisors");
    const cell = body.hypervisors
      .find((hypervisor: { name: string }) => hypervisor.name === "hv-verify")
      .images.find((entry: { imageId: string }) => entry.imageId === image.id);
    expect(cell).toMatchObject({ state: "failed", verified: false });
  });

  describe("CLI one-shot fetch", () => {
    function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
      return new Promise((resolve, reject) => {
        // Asynchronous on purpose: the origin serving this download lives in this process.
        const child = spawn("npx", ["tsx", "agent/cli.ts", ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
        child.once("error", reject);
        child.once("close", (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
    }
    const fetchArgs = (dir: string, hash: string) => [
      "fetch",
      image.id,
      "--artifact-url",
      artifact.url,
      "--hash",
      `sha512:${hash}`,
      "--cache-dir",
      dir,
      "--allow-direct",
    ];

    it("places a verified file and exits 0", async () => {
      const dir = cacheDir();
      const result = await runCli(fetchArgs(dir, image.osHashValue));
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`${baseFilePath(dir, image.id)} ${image.size} bytes verified (sha512)`);
      expect(fs.readFileSync(baseFilePath(dir, image.id)).equals(original)).toBe(true);
      expect(fs.readdirSync(dir)).toEqual([baseFileName(image.id)]);
    });

    it("exits non-zero with HASH_MISMATCH on a wrong hash and leaves nothing", async () => {
      const dir = cacheDir();
      const wrong = "ab".repeat(64);
      const result = await runCli(fetchArgs(dir, wrong));
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("HASH_MISMATCH");
      expect(fs.readdirSync(dir)).toEqual([]);
    });
  });
});
