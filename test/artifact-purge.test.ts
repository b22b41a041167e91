// Cleanup with purgeProxies: the artifact leaves the origin and every Squid of the topology
// (tier 1 and group proxies) is sent a PURGE; a proxy that cannot be reached is reported, not fatal.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./support/production-server.ts";
import { cachedBody, getThroughSquid, shouldSkipSquidTests, startSquid, type RunningSquid } from "./support/squid.ts";
import { cleanupAndWait, publishAndWait, startTestServer, type TestServer } from "./support/test-server.ts";

describe.skipIf(shouldSkipSquidTests("artifact purge"))("artifact removal with a Squid purge", () => {
  let server: TestServer;
  let squid: RunningSquid;

  beforeAll(async () => {
    server = await startTestServer();
    // Squid accepts PURGE only when an acl names the method (http_access already allows localhost).
    squid = await startSquid({ name: "purge", extraConfig: ["acl purge method PURGE"] });
  });
  afterAll(async () => {
    await squid?.stop();
    await server?.close();
  });

  it("removes the artifact from the origin and the Squids, reporting an unreachable proxy", async () => {
    const image = (await server.api("GET", "/api/images")).body.images[0];
    const artifact = await publishAndWait(server, image.id);
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    const topology = await server.api("POST", "/api/topology", {
      tier1: [{ url: squid.url, bandwidthMbps: null }],
      groups: [{ name: "rack-purge", proxies: [unreachable] }],
    });
    expect(topology.status).toBe(200);

    expect((await getThroughSquid(squid.port, artifact.url)).status).toBe(200);
    expect((await cachedBody(squid.port, artifact.url))?.length).toBe(artifact.compressedSize);

    const cleanup = await cleanupAndWait(server, { imageId: image.id, removeArtifact: true, purgeProxies: true });
    const purges = [...cleanup.artifact.purges].sort((a, b) => a.proxy.localeCompare(b.proxy));
    expect(cleanup.artifact.outcome).toBe("removed");
    expect(purges).toEqual(
      [
        { proxy: squid.url, status: 200, error: null },
        { proxy: unreachable, status: null, error: expect.stringMatching(/ECONNREFUSED|connect/i) },
      ].sort((a, b) => a.proxy.localeCompare(b.proxy)),
    );
    expect(await cachedBody(squid.port, artifact.url)).toBeNull();
    expect((await fetch(artifact.url)).status).toBe(404);
    expect((await server.api("GET", `/api/images/${image.id}`)).body.image.artifact).toBeNull();
  });
});
