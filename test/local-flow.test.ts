// The fresh-machine flow with real parts: directory source → publish → origin → agent → nova cache.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import { baseFileName } from "../protocol/nova-files.ts";
import { API_TOKEN, cleanupAndWait, publishAndWait, rolloutAndWait, startTestServer, type TestServer } from "./support/test-server.ts";
import { startTestAgent } from "./support/test-agent.ts";

describe("fresh machine: sample image to the local nova cache", () => {
  let server: TestServer;
  let agent: PrecacheAgent;

  beforeAll(async () => {
    server = await startTestServer();
    agent = await startTestAgent(server.url, "hv-local");
  });
  afterAll(async () => {
    await agent?.stop();
    await server?.close();
  });

  it("seeds a sample image, publishes it, precaches it byte for byte, and cleans it up", async () => {
    const { body } = await server.api("GET", "/api/images");
    expect(body.images).toHaveLength(1);
    const image = body.images[0];
    expect(image).toMatchObject({ status: "active", osHashAlgo: "sha512", diskFormat: "raw" });

    const artifact = await publishAndWait(server, image.id);
    expect(artifact.compressedSize).toBeLessThan(image.size / 2);
    expect(artifact.url).toBe(`${server.context.publicUrl}/artifacts/${image.id}/${artifact.sha256}.gz`);

    const again = await server.api("POST", `/api/images/${image.id}/publish`, {});
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ reused: true, artifact: { state: "ready", sha256: artifact.sha256 } });

    const rollout = await rolloutAndWait(server, { imageId: image.id });
    expect(rollout).toMatchObject({ state: "done", counts: { done: 1, failed: 0 } });

    const placed = path.join(agent.config.cacheDir, baseFileName(image.id));
    const original = fs.readFileSync(path.join(server.dataDir, "images", image.name));
    expect(crypto.createHash("sha512").update(fs.readFileSync(placed)).digest("hex")).toBe(image.osHashValue);
    expect(fs.readFileSync(placed).equals(original)).toBe(true);
    expect(fs.statSync(placed).mode & 0o777).toBe(0o644);

    const hypervisors = await server.api("GET", "/api/hypervisors");
    expect(hypervisors.body.hypervisors[0]).toMatchObject({
      name: "hv-local",
      online: true,
      images: [{ imageId: image.id, state: "cached", verified: true }],
    });

    const metrics = await readMetrics();
    expect(metrics).toContain(`precache_hypervisors{online="true"} 1\n`);
    expect(metrics).toContain(`precache_image_hypervisors{image_id="${image.id}",image="${image.name}",state="cached"} 1\n`);
    expect(metrics).toContain(`precache_image_published{image_id="${image.id}",image="${image.name}",status="active"} 1\n`);
    expect(metrics).toContain(`precache_artifact_bytes{image_id="${image.id}",image="${image.name}"} ${artifact.compressedSize}\n`);
    expect(metrics).toMatch(/^precache_agent_connections 1$/m);
    expect(metrics).toContain("# HELP precache_hypervisors Hypervisors known to Precache, by whether their agent is connected.\n");
    // prom-client's default process, GC and event-loop metrics are served beside ours.
    expect(metrics).toMatch(/^process_cpu_user_seconds_total \d+(\.\d+)?$/m);
    expect(metrics).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(metrics).toMatch(/^nodejs_heap_used_bytes [1-9]\d*$/m);

    const cleanup = await cleanupAndWait(server, { imageId: image.id });
    expect(cleanup).toMatchObject({ state: "done", freedBytes: image.size, hypervisors: [{ name: "hv-local", outcome: "deleted" }] });
    expect(fs.existsSync(placed)).toBe(false);
    expect(await readMetrics()).not.toContain(`state="cached"`);
  });

  /** GET /api/metrics as Prometheus scrapes it: the API token, text format 0.0.4. */
  async function readMetrics(): Promise<string> {
    const response = await fetch(`${server.url}/api/metrics`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  }

  it("refuses bad requests with a clear error", async () => {
    expect(await server.api("POST", "/api/images/nope/publish", {})).toMatchObject({
      status: 404,
      body: { error: { code: "IMAGE_NOT_FOUND" } },
    });
    expect(await server.api("POST", "/api/rollouts", { imageId: "nope" })).toMatchObject({ status: 404 });
    const invalid = await server.api("POST", "/api/rollouts", { image: "x" });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.message).toMatch(/imageId/);
    const anonymous = await fetch(`${server.url}/api/images`);
    expect(anonymous.status).toBe(401);
    expect((await fetch(`${server.url}/api/metrics`)).status).toBe(401);
  });
});
