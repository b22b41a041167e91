// `npm run publish -- <image>` against a running server: publishes, then reports reuse.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_TOKEN, startTestServer, type TestServer } from "./support/test-server.ts";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..");
const tsx = path.join(root, "node_modules/tsx/dist/cli.mjs");

describe("publish CLI", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  const publish = (...args: string[]) =>
    run(process.execPath, [tsx, "cli/publish-image.ts", ...args, "--server", server.url, "--token", API_TOKEN], { cwd: root });

  it("publishes by name at the chosen level, then reports the artifact as already published", async () => {
    const first = await publish("precache-sample.raw", "--level", "1");
    expect(first.stdout).toMatch(/published in [\d.]+ s, gzip -1, 32\.0 MiB → [\d.]+ (KiB|MiB) \([\d.]+:1\)/);
    const { body } = await server.api("GET", "/api/images");
    expect(body.images[0].artifact).toMatchObject({ state: "ready", level: 1 });
    const second = await publish(body.images[0].id, "--level", "1");
    expect(second.stdout).toContain("already published");
  });

  it("names the problem: unknown image, bad level, wrong token", async () => {
    await expect(publish("nope")).rejects.toMatchObject({ stderr: expect.stringContaining('no image "nope"') });
    await expect(publish("precache-sample.raw", "--level", "12")).rejects.toMatchObject({
      stderr: expect.stringContaining('invalid --level "12"'),
    });
    await expect(
      run(process.execPath, [tsx, "cli/publish-image.ts", "precache-sample.raw", "--server", server.url, "--token", "bad"], { cwd: root }),
    ).rejects.toMatchObject({ stderr: expect.stringContaining("UNAUTHORIZED") });
  });
});
