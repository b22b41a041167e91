// Bad situations refused clearly, with nothing half-written: a full disk on the hypervisor or on
// the origin (real tmpfs mounts), an image that is not active, Glance gone away.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentError } from "../agent/agent-error.ts";
import { baseFilePath, partFilePath } from "../agent/download/cache-paths.ts";
import { placeImage } from "../agent/download/place-image.ts";
import { startFakeGlance, type FakeGlance } from "./fake-glance/fake-glance.ts";
import { mountSmallDisk, unmount } from "./support/small-disk.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { publishAndWait, rolloutAndWait, startTestServer, type TestServer } from "./support/test-server.ts";

const small = mountSmallDisk(8);
const tinyOrigin = mountSmallDisk(4);

describe.skipIf(!small || !tinyOrigin)("full disks", () => {
  let server: TestServer;
  let image: { id: string; size: number; osHashValue: string };
  let artifactUrl: string;

  beforeAll(async () => {
    server = await startTestServer();
    image = (await server.api("GET", "/api/images")).body.images[0];
    artifactUrl = (await publishAndWait(server, image.id)).url;
  });
  afterAll(async () => {
    await server?.close();
    unmount(small);
    unmount(tinyOrigin);
  });

  it("agent: refuses up front when the image cannot fit, and the rollout fails without retrying", async () => {
    const agent = await startTestAgent(server.url, "hv-small-disk", { cacheDir: path.join(small!, "_base") });
    try {
      const rollout = await rolloutAndWait(server, { imageId: image.id, hypervisors: ["hv-small-disk"] });
      expect(rollout).toMatchObject({ state: "failed", counts: { failed: 1 } });
      expect(rollout.hypervisors[0].error).toMatch(/^DISK_FULL: not enough space in .*_base: image needs 33554432 bytes/);
      expect(rollout.hypervisors[0].attempts).toBe(1);
      expect(fs.readdirSync(agent.config.cacheDir)).toEqual([]);
    } finally {
      await agent.stop();
    }
  });

  it("agent: ENOSPC in the middle of a write becomes DISK_FULL and leaves no .part", async () => {
    const cacheDir = path.join(small!, "_base2");
    const attempt = placeImage({
      imageId: image.id,
      artifactUrl,
      hash: { algo: "sha512", value: image.osHashValue },
      cacheDir,
      proxies: [],
      allowDirect: true,
      imageSize: null,
    });
    await expect(attempt).rejects.toBeInstanceOf(AgentError);
    await expect(attempt).rejects.toMatchObject({ code: "DISK_FULL" });
    expect(fs.existsSync(baseFilePath(cacheDir, image.id))).toBe(false);
    expect(fs.existsSync(partFilePath(cacheDir, image.id))).toBe(false);
  });

  it("origin: publish refuses when the artifact dir cannot hold the image", async () => {
    const origin = await startTestServer({ PRECACHE_ARTIFACT_DIR: tinyOrigin! });
    try {
      const sample = (await origin.api("GET", "/api/images")).body.images[0];
      const refused = await origin.api("POST", `/api/images/${sample.id}/publish`, {});
      expect(refused.status).toBe(507);
      expect(refused.body.error.code).toBe("DISK_FULL");
      expect(refused.body.error.message).toContain(tinyOrigin!);
      expect(fs.readdirSync(tinyOrigin!)).toEqual([]);
    } finally {
      await origin.close();
    }
  });
});

describe("publishing from Glance", () => {
  let glance: FakeGlance;
  let server: TestServer;
  const data = Buffer.alloc(1 << 20);
  crypto.randomFillSync(data.subarray(0, 1 << 18));

  beforeAll(async () => {
    glance = await startFakeGlance({
      images: [
        { id: "11111111-1111-4111-8111-111111111111", name: "active-image", data },
        { id: "22222222-2222-4222-8222-222222222222", name: "deactivated-image", data, status: "deactivated" },
      ],
    });
    server = await startTestServer({ GLANCE_URL: glance.url });
  });
  afterAll(async () => {
    await server?.close();
    await glance?.close().catch(() => undefined);
  });

  it("publishes an active image streamed from Glance, verified against its sha512", async () => {
    const artifact = await publishAndWait(server, "11111111-1111-4111-8111-111111111111");
    expect(artifact).toMatchObject({ state: "ready", sourceSize: data.length });
  });

  it("refuses an image that is not active, naming its status", async () => {
    const refused = await server.api("POST", "/api/images/22222222-2222-4222-8222-222222222222/publish", {});
    expect(refused).toMatchObject({ status: 409, body: { error: { code: "IMAGE_NOT_ACTIVE" } } });
    expect(refused.body.error.message).toContain("deactivated");
  });

  it("refuses clearly when Glance is unreachable", async () => {
    await glance.close();
    const refused = await server.api("POST", "/api/images/11111111-1111-4111-8111-111111111111/publish", { level: 9 });
    expect(refused.status).toBe(502);
    expect(refused.body.error.code).toBe("GLANCE_UNREACHABLE");
    expect(refused.body.error.message).toContain(glance.url);
  });
});
