// The peer tier with real agents and a real server: a node fetches from a group member that holds
// the verified artifact; a member that serves bad bytes is caught by the end-to-end hash,
// excluded, and the node completes from the Squid route with a fresh copy. The same with a sealed
// (encrypted) artifact: peers keep and serve the ciphertext, and a flipped byte fails its chunk.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import { peerRollouts } from "./support/peer-rollouts.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { publishAndWait, startTestServer, type TestServer } from "./support/test-server.ts";

const PEER = { listen: "127.0.0.1:0", spoolBytes: 1 << 30, uploadBytesPerSecond: null };

describe.each<{ kind: string; vars: Record<string, string> }>([
  { kind: "plain", vars: {} },
  { kind: "sealed", vars: { PRECACHE_ENCRYPT_ALL_ARTIFACTS: "1" } },
])("peer tier, $kind artifact", ({ kind, vars }) => {
  let server: TestServer;
  const agents: PrecacheAgent[] = [];
  let imageId: string;

  beforeAll(async () => {
    server = await startTestServer(vars);
    const { body } = await server.api("GET", "/api/images");
    imageId = body.images[0].id;
    await publishAndWait(server, imageId, 1);
  }, 120_000);
  afterAll(async () => {
    for (const agent of agents) await agent.stop();
    await server?.close();
    for (const agent of agents) fs.rmSync(path.dirname(agent.config.cacheDir), { recursive: true, force: true });
  });

  const rollouts = peerRollouts(
    () => server,
    () => imageId,
  );
  const { finished } = rollouts;
  const rollout = rollouts.start;

  it("sends the group's first node to its Squid route and the next to the holder", async () => {
    const seed = await startTestAgent(server.url, "peer-seed", { peer: PEER });
    const follower = await startTestAgent(server.url, "peer-follower", { peer: PEER });
    agents.push(seed, follower);
    const done = await finished(await rollout(["peer-seed", "peer-follower"]));
    expect(done.state).toBe("done");
    const sources = Object.fromEntries(done.hypervisors.map((node: { name: string; source: string }) => [node.name, node.source]));
    const [first, second] = sources["peer-seed"] === "squid" ? ["peer-seed", "peer-follower"] : ["peer-follower", "peer-seed"];
    expect(sources[first]).toBe("squid");
    expect(sources[second]).toBe(`peer:${first}`);
    const { body } = await server.api("GET", `/api/images/${imageId}`);
    expect(done.bytesFromPeers).toBe(body.image.artifact.compressedSize);
    expect(body.image.artifact.encrypted).toBe(kind === "sealed");
  }, 90_000);

  it("catches a holder that serves bad bytes, excludes it and completes from the Squid route", async () => {
    const liar = await startTestAgent(server.url, "peer-liar", { peer: PEER });
    const victim = await startTestAgent(server.url, "peer-victim", { peer: PEER });
    agents.push(liar, victim);
    // The victim is away while the liar seeds, so the liar is the only holder when it comes back.
    await victim.stop();
    const id = await rollout(["peer-liar", "peer-victim"]);
    await rollouts.nodeDone(id, "peer-liar");
    // Flip bytes in the middle of the liar's kept copy: it now serves a corrupt artifact.
    const spool = path.join(liar.stateDir(), "peer-spool", `${imageId}.gz`);
    const bytes = fs.readFileSync(spool);
    for (let at = bytes.length >> 1; at < (bytes.length >> 1) + 64; at++) bytes[at] ^= 0xff;
    fs.writeFileSync(spool, bytes);

    await victim.start();
    const done = await finished(id);
    expect(done.state).toBe("done");
    expect(done.excludedPeers).toEqual(["peer-liar"]);
    const node = done.hypervisors.find((entry: { name: string }) => entry.name === "peer-victim");
    expect(node).toMatchObject({ state: "done", attempts: 2, source: "squid" });
    const cell = (await server.api("GET", "/api/hypervisors/peer-victim")).body.hypervisor.images.find(
      (image: { imageId: string }) => image.imageId === imageId,
    );
    expect(cell).toMatchObject({ state: "cached", verified: true });
  }, 120_000);
});
