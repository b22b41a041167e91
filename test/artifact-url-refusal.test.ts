// Whoever can send an agent commands must not make every hypervisor fetch arbitrary URLs (blind
// SSRF): a real agent accepts image:precache only under the artifact base the server announced,
// and a refused URL is never requested.
import crypto from "node:crypto";
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import type { ImagePrecache } from "../protocol/events.ts";
import { startGzipOrigin, type GzipOrigin } from "./support/gzip-origin.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { startTestServer, type TestServer } from "./support/test-server.ts";

describe("artifact URLs outside the announced origin", () => {
  let server: TestServer;
  let agent: PrecacheAgent;
  let elsewhere: GzipOrigin;
  beforeAll(async () => {
    elsewhere = await startGzipOrigin();
    server = await startTestServer();
    agent = await startTestAgent(server.url, "hv-ssrf");
  });
  afterAll(async () => {
    await agent?.stop();
    await server?.close();
    await elsewhere?.close();
    if (agent) fs.rmSync(agent.config.cacheDir, { recursive: true, force: true });
  });

  function command(artifactUrl: string): ImagePrecache {
    const data = crypto.randomBytes(1024);
    return {
      rolloutId: crypto.randomUUID(),
      imageId: crypto.randomUUID(),
      artifactUrl,
      codec: "gzip",
      peers: [],
      peerToken: null,
      peerUntil: null,
      compressedSize: null,
      imageSize: data.length,
      virtualSize: null,
      hash: { algo: "sha512", value: crypto.createHash("sha512").update(data).digest("hex") },
      jitterMs: 0,
      bandwidthBytesPerSecond: null,
      sealedKey: null,
      retryBudgetSeconds: 600,
      refreshCache: false,
      diskFormat: "raw",
    };
  }

  it("refuses them with INVALID_COMMAND and never requests them", async () => {
    const { url } = elsewhere.serve(crypto.randomBytes(1024));
    for (const artifactUrl of [
      url,
      `${server.url}/artifacts/../api/images`,
      `${server.url.replace("127.0.0.1", "user:pw@127.0.0.1")}/artifacts/x/y.gz`,
    ]) {
      const answer = await server.context.agents.send("hv-ssrf", "image:precache", command(artifactUrl));
      expect(answer).toMatchObject({ ok: false, error: { code: "INVALID_COMMAND", message: expect.stringContaining("refused") } });
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(elsewhere.requests).toEqual([]);
    expect(agent.downloads.size).toBe(0);
  });

  it("accepts a URL under the announced base (the control)", async () => {
    const answer = await server.context.agents.send(
      "hv-ssrf",
      "image:precache",
      command(`${server.url}/artifacts/${crypto.randomUUID()}/missing.gz`),
    );
    expect(answer).toMatchObject({ ok: true });
  });
});
