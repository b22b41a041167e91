// Private images end to end with real parts: a tenant uploads a private image to a real Glance that
// checks Keystone tokens; Precache (signed in to Keystone as an admin) lists it with its owner,
// publishes it sealed, and rolls it out through a real two-tier Squid to agents that verify it.
// What anyone else can get from the origin or a Squid is ciphertext; a node that is not a target,
// or whose credential was revoked, never receives the key; PRECACHE_ALLOWED_PROJECTS refuses the
// images of other projects (403, audited).
import crypto from "node:crypto";
import fs from "node:fs";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import zlib from "node:zlib";
import pino from "pino";
import { ProxyAgent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseFilePath } from "../agent/download/cache-paths.ts";
import { createOpeningStream } from "../agent/download/decrypt-chunks.ts";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import type { ImagePrecache } from "../protocol/events.ts";
import { SEALED_MAGIC } from "../protocol/sealed-stream.ts";
import { glanceSkipReason, startGlance, type GlanceTenant, type RunningGlance } from "./support/glance.ts";
import { KEYSTONE_ADMIN_PASSWORD, keystoneSkipReason, startKeystone, type RunningKeystone } from "./support/keystone.ts";
import { connectRawAgent, type RawAgent } from "./support/raw-agent.ts";
import { shouldSkipSquidTests, startSquid, type RunningSquid } from "./support/squid.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { AGENT_TOKEN, publishAndWait, rolloutAndWait, startTestServer, waitFor, type TestServer } from "./support/test-server.ts";

const skip = shouldSkipSquidTests("private images") || keystoneSkipReason() !== null || glanceSkipReason() !== null;
const TARGETS = ["hv-private-1", "hv-private-2"];

/** A raw agent that enrols, then records every command it is sent and accepts it. */
async function listeningAgent(serverUrl: string, name: string): Promise<RawAgent & { commands: ImagePrecache[] }> {
  const agent = await connectRawAgent(serverUrl, { name, token: AGENT_TOKEN });
  const commands: ImagePrecache[] = [];
  agent.socket.on("image:precache", (command: ImagePrecache, ack: (answer: unknown) => void) => {
    commands.push(command);
    ack({ ok: true, data: { accepted: true } });
  });
  const hello = await agent.hello(name);
  if (!hello.ok) throw new Error(`hello refused: ${JSON.stringify(hello.error)}`);
  return Object.assign(agent, { commands });
}

describe.skipIf(skip)("private images: sealed artifacts through real Glance, Keystone and Squid", () => {
  let keystone: RunningKeystone;
  let glance: RunningGlance;
  let tenant: GlanceTenant;
  let server: TestServer;
  let tier1: RunningSquid;
  let tier2: RunningSquid;
  const agents: PrecacheAgent[] = [];
  const raw: (RawAgent & { commands: ImagePrecache[] })[] = [];
  const image = crypto.randomBytes(3 * 1024 * 1024 + 12345);
  let imageId: string;
  let otherImageId: string;
  let madePrivateId: string;
  /** Every line the server logs, at debug: the artifact key must be in none of them. */
  const serverLog: string[] = [];

  beforeAll(async () => {
    keystone = await startKeystone();
    glance = await startGlance(keystone);
    tenant = await glance.createTenant("tenant-a");
    const otherTenant = await glance.createTenant("tenant-b");
    imageId = await glance.uploadImage(tenant, { name: "tenant-a-secret-image", data: image, visibility: "private" });
    madePrivateId = await glance.uploadImage(tenant, { name: "made-private", data: crypto.randomBytes(8192), visibility: "private" });
    otherImageId = await glance.uploadImage(otherTenant, { name: "tenant-b-image", data: crypto.randomBytes(4096), visibility: "shared" });
    tier1 = await startSquid({ name: "private-t1" });
    tier2 = await startSquid({ name: "private-t2", parent: { host: "127.0.0.1", port: tier1.port } });
    server = await startTestServer(
      {
        OS_AUTH_URL: keystone.url,
        OS_USERNAME: "admin",
        OS_PASSWORD: KEYSTONE_ADMIN_PASSWORD,
        OS_PROJECT_NAME: "admin",
        OS_USER_DOMAIN_NAME: "Default",
        OS_PROJECT_DOMAIN_NAME: "Default",
        OS_REGION_NAME: "RegionOne",
        PRECACHE_ALLOWED_PROJECTS: tenant.projectId,
        LOG_LEVEL: "debug",
      },
      { log: pino({ level: "debug" }, { write: (line: string) => void serverLog.push(line) }) },
    );
    for (const name of TARGETS) agents.push(await startTestAgent(server.url, name, { proxies: [tier2.url] }));
  }, 300_000);
  afterAll(async () => {
    for (const agent of raw) agent.close();
    await Promise.allSettled(agents.map((agent) => agent.stop()));
    await Promise.allSettled([tier2?.stop(), tier1?.stop()]);
    await server?.close();
    await glance?.stop();
    await keystone?.stop();
    for (const agent of agents) fs.rmSync(agent.config.cacheDir, { recursive: true, force: true });
    if (server) fs.rmSync(server.dataDir, { recursive: true, force: true });
  });

  it("lists the private image with its owner and visibility, and says it will be encrypted", async () => {
    const { body } = await server.api("GET", "/api/images");
    const listed = body.images.find((entry: { id: string }) => entry.id === imageId);
    expect(listed).toMatchObject({ owner: tenant.projectId, visibility: "private", willEncrypt: true, artifact: null });
  });

  it("publishes it sealed, rolls it out through two Squid tiers, and every target verifies it", async () => {
    const started = await server.api("POST", `/api/images/${imageId}/publish`, {});
    expect(started.status).toBe(202);
    expect(started.body.artifact.encrypted).toBe(true);
    const artifact = await publishAndWait(server, imageId);
    expect(artifact.url).toMatch(/\/artifacts\/sealed\/[0-9a-f]{64}\.sealed$/);
    expect(artifact.url).not.toContain(imageId);
    expect(artifact.url).not.toContain("tenant-a-secret-image");
    const rollout = await rolloutAndWait(server, { imageId, hypervisors: TARGETS }, 120_000);
    expect(rollout.state).toBe("done");
    for (const agent of agents) expect(fs.readFileSync(baseFilePath(agent.config.cacheDir, imageId)).equals(image)).toBe(true);
    // Nothing of the key reached an operator's view or the server's log.
    const { body } = await server.api("GET", `/api/images/${imageId}`);
    expect(JSON.stringify(body)).not.toMatch(/wrappedKey|keyId|sealedKey/);
    const row = await server.context.db.artifact.findUniqueOrThrow({ where: { imageId } });
    const key = server.context.secrets.artifactKeys.unwrap({ keyId: row.keyId!, wrappedKey: row.wrappedKey! }, row.sha256!);
    expect(serverLog.length).toBeGreaterThan(10);
    expect(serverLog.filter((line) => line.includes(key.toString("base64")) || line.includes(key.toString("hex")))).toEqual([]);
  });

  it("serves anyone without credentials only ciphertext, from the origin and through Squid", async () => {
    const { body } = await server.api("GET", `/api/images/${imageId}`);
    const url: string = body.image.artifact.url;
    const direct = await request(url);
    expect(direct.statusCode).toBe(200);
    expect(direct.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(direct.headers["content-type"]).toBe("application/octet-stream");
    const fromOrigin = Buffer.from(await direct.body.arrayBuffer());
    const proxy = new ProxyAgent({ uri: tier2.url, proxyTunnel: false });
    try {
      const viaSquid = await request(url, { dispatcher: proxy });
      expect(viaSquid.statusCode).toBe(200);
      expect(Buffer.from(await viaSquid.body.arrayBuffer()).equals(fromOrigin)).toBe(true);
    } finally {
      await proxy.close();
    }
    expect(fromOrigin.subarray(0, SEALED_MAGIC.length).equals(SEALED_MAGIC)).toBe(true);
    expect(fromOrigin.includes(image.subarray(0, 64))).toBe(false);
    expect(() => zlib.gunzipSync(fromOrigin)).toThrow();
    const opening = Readable.from([fromOrigin]).pipe(createOpeningStream({ key: crypto.randomBytes(32) }));
    await expect(buffer(opening)).rejects.toMatchObject({ code: "DECRYPT_FAILED" });
  });

  it("never sends the key to a node that is not a target, nor to a target revoked meanwhile", async () => {
    const outsider = await listeningAgent(server.url, "hv-outsider");
    const revoked = await listeningAgent(server.url, "hv-revoked");
    raw.push(outsider, revoked);
    // Revoked through the database, as another server process sharing it would: this process's
    // socket to the node is still open, so only the check at send time stands between it and the key.
    await server.context.db.agentCredential.update({ where: { hypervisorName: "hv-revoked" }, data: { revokedAt: new Date() } });
    const created = await server.api("POST", "/api/rollouts", { imageId, hypervisors: [TARGETS[0], "hv-revoked"], maxAttempts: 1 });
    expect(created.status).toBe(201);
    const finished = await waitFor(`rollout ${created.body.rollout.id}`, async () => {
      const { body } = await server.api("GET", `/api/rollouts/${created.body.rollout.id}`);
      return body.rollout.state === "running" ? undefined : body.rollout;
    });
    const revokedTarget = finished.hypervisors.find((entry: { name: string }) => entry.name === "hv-revoked");
    expect(revokedTarget).toMatchObject({ state: "failed", error: expect.stringMatching(/^KEY_REFUSED/) });
    expect(revoked.commands).toEqual([]);
    expect(outsider.commands).toEqual([]);
  });

  it("fails a rollout at once, naming the fix, when the artifact's KEK is gone (rotated without PRECACHE_KEK_PREVIOUS)", async () => {
    await server.context.db.artifact.update({ where: { imageId }, data: { keyId: "kek-0000000000000000" } });
    const outsider = raw[0]; // enrolled and connected, and without the image
    const rollout = await rolloutAndWait(server, { imageId, hypervisors: ["hv-outsider"] });
    expect(outsider.commands).toEqual([]);
    expect(rollout.state).toBe("failed");
    expect(rollout.hypervisors[0].error).toMatch(/^KEY_UNAVAILABLE: .*kek-0000000000000000.*PRECACHE_KEK_PREVIOUS/);
  });

  it("withdraws a plain artifact from the origin once Glance says its image is not public", async () => {
    // As if it had been public when published: the next sync reads Glance's "private" again.
    await server.context.db.image.update({ where: { id: madePrivateId }, data: { visibility: "public" } });
    const plain = await publishAndWait(server, madePrivateId);
    expect(plain.encrypted).toBe(false);
    const served = await request(plain.url);
    await served.body.dump();
    expect(served.statusCode).toBe(200);
    expect((await server.api("POST", "/api/images/sync")).status).toBe(200);
    const { body } = await server.api("GET", `/api/images/${madePrivateId}`);
    expect(body.image).toMatchObject({ visibility: "private", willEncrypt: true, artifact: { state: "failed", url: null } });
    expect(body.image.artifact.error).toMatch(/withdrawn .*publish it again to seal it/);
    const gone = await request(plain.url);
    await gone.body.dump();
    expect(gone.statusCode).toBe(404);
    expect((await publishAndWait(server, madePrivateId)).encrypted).toBe(true);
  });

  it("refuses to publish a non-public image of a project PRECACHE_ALLOWED_PROJECTS does not list, and audits it", async () => {
    const refused = await server.api("POST", `/api/images/${otherImageId}/publish`, {});
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("PROJECT_NOT_ALLOWED");
    expect(refused.body.error.message).toMatch(/PRECACHE_ALLOWED_PROJECTS/);
    const { body } = await server.api("GET", `/api/audit?action=image.publish&imageId=${otherImageId}`);
    expect(body.events[0]).toMatchObject({ action: "image.publish", outcome: "denied" });
  });
});
