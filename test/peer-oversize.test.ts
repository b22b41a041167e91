// A compromised node of a peers rollout reports success, becomes a holder, then serves gzip that
// inflates far beyond the image. Its peers stop the stream at Glance's size (their disks keep
// their room), the server excludes it like a holder whose bytes fail the hash, and the node it
// served completes from its Squid route. A node without these bounds (an older agent) reports the
// same attack as DISK_FULL: the holder is excluded all the same, never moved on to the next node.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import type { ImagePrecache } from "../protocol/events.ts";
import { gzipOfZeros } from "./support/gzip-origin.ts";
import { connectRawNode, type RawNode } from "./support/raw-agent.ts";
import { mountSmallDisk, unmount } from "./support/small-disk.ts";
import { peerRollouts } from "./support/peer-rollouts.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { publishAndWait, startTestServer, type TestServer } from "./support/test-server.ts";

const PEER = { listen: "127.0.0.1:0", spoolBytes: 1 << 30, uploadBytesPerSecond: null };
const MiB = 1024 * 1024;

describe("a holder that serves an oversize stream", () => {
  let server: TestServer;
  let image: { id: string; size: number; artifact: { compressedSize: number } };
  const agents: PrecacheAgent[] = [];
  const raws: RawNode[] = [];
  // The victim's cache dir: 160 MiB, room for the 32 MiB sample, its 64 MiB margin and a spool.
  const disk = mountSmallDisk(160);

  beforeAll(async () => {
    server = await startTestServer();
    const id = (await server.api("GET", "/api/images")).body.images[0].id;
    await publishAndWait(server, id, 1);
    image = (await server.api("GET", `/api/images/${id}`)).body.image;
  }, 120_000);
  afterAll(async () => {
    for (const raw of raws) raw.close();
    for (const agent of agents) await agent.stop();
    await server?.close();
    for (const agent of agents)
      if (path.dirname(agent.config.cacheDir) !== disk) fs.rmSync(path.dirname(agent.config.cacheDir), { recursive: true, force: true });
    unmount(disk);
  });

  const rollouts = peerRollouts(
    () => server,
    () => image.id,
  );

  it.skipIf(!disk)(
    "is stopped at Glance's size by the node it serves, excluded, and the node completes from its Squid route",
    async () => {
      const liar = await startTestAgent(server.url, "oversize-liar", { peer: PEER });
      const victim = await startTestAgent(server.url, "oversize-victim", { peer: PEER, cacheDir: path.join(disk!, "_base") });
      agents.push(liar, victim);
      await victim.stop(); // away while the liar seeds, so the liar is the only holder when it comes back
      const id = await rollouts.start(["oversize-liar", "oversize-victim"]);
      await rollouts.nodeDone(id, "oversize-liar");
      // The liar now serves 512 MiB of zeros in less gzip than the real artifact: only the inflated bound can stop it.
      const bomb = await gzipOfZeros(512 * MiB);
      expect(bomb.length).toBeLessThan(image.artifact.compressedSize);
      fs.writeFileSync(path.join(liar.stateDir(), "peer-spool", `${image.id}.gz`), bomb);

      await victim.start();
      const done = await rollouts.finished(id, 90_000);
      expect(done.state).toBe("done");
      expect(done.excludedPeers).toEqual(["oversize-liar"]);
      const node = done.hypervisors.find((entry: { name: string }) => entry.name === "oversize-victim");
      expect(node).toMatchObject({ state: "done", attempts: 2, source: "squid" });
      expect(fs.readdirSync(path.join(disk!, "_base"))).toEqual([crypto.createHash("sha1").update(image.id).digest("hex")]);
    },
    180_000,
  );

  it("is excluded when an older node, without the bounds, reports it as DISK_FULL", async () => {
    const peerUrl = "http://127.0.0.1:9";
    const nodes = await Promise.all(["raw-a", "raw-b"].map((name) => connectRawNode(server.url, name, undefined, { peerUrl })));
    raws.push(...nodes);
    const id = await rollouts.start(["raw-a", "raw-b"]);
    const send = (node: RawNode, result: object) =>
      node.socket
        .timeout(5000)
        .emitWithAck("download:finished", { resultId: crypto.randomUUID(), rolloutId: id, imageId: image.id, seconds: 1, ...result });
    const seed = await vi.waitFor(() => {
      const node = nodes.find((candidate) => candidate.commands.length > 0);
      if (!node) throw new Error("no command yet");
      return node;
    });
    expect(await send(seed, { ok: true, bytes: image.size })).toMatchObject({ ok: true, data: { recorded: true } });
    const served = nodes.find((node) => node !== seed)!;
    const command = await vi.waitFor(
      () => {
        const sent = served.commands.at(-1) as ImagePrecache | undefined;
        if (!sent) throw new Error("no command yet");
        return sent;
      },
      { timeout: 15_000 },
    );
    const holder = seed === nodes[0] ? "raw-a" : "raw-b";
    expect(command.peers.map((peer) => peer.name)).toEqual([holder]);
    const failure = {
      ok: false,
      bytes: image.size + 64 * MiB,
      error: { code: "DISK_FULL", message: "no space left on device" },
      sources: [{ source: `peer:${holder}`, bytes: 65_536 }],
    };
    expect(await send(served, failure)).toMatchObject({ ok: true, data: { recorded: true } });
    expect((await rollouts.view(id)).excludedPeers).toEqual([holder]);
  }, 60_000);
});
