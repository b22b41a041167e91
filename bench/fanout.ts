// Fan-out: 200 real agents fetch one image through a two-tier Squid (1 tier-1, 2 tier-2) at
// once. No baseline: the figure is how many bytes the origin sent per tier-1 Squid.
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { baseFilePath } from "../agent/download/cache-paths.ts";
import { imageLikeStream } from "../server/images/image-like-data.ts";
import { startFleet } from "../test/support/agent-fleet.ts";
import { startSquid, type RunningSquid } from "../test/support/squid.ts";
import { AGENT_TOKEN, publishAndWait, startTestServer, waitFor } from "../test/support/test-server.ts";
import { machine, mibPerSecond } from "./bench-support.ts";

export async function run(args: string[]): Promise<void> {
  const agentsCount = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 200);
  const imageBytes = 16 * 2 ** 20;
  console.log(`machine: ${machine()}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-fanout-"));
  fs.mkdirSync(path.join(dataDir, "images"));
  await pipeline(imageLikeStream(imageBytes, 5), fs.createWriteStream(path.join(dataDir, "images", "fanout.raw")));
  const server = await startTestServer({ PRECACHE_DATA_DIR: dataDir });
  let originBytes = 0;
  let originRequests = 0;
  server.server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "GET" || !req.url?.startsWith("/artifacts/")) return;
    originRequests += 1;
    // Count body bytes actually sent (the origin streams the file after this listener runs).
    const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
    res.write = ((chunk: Buffer | string, ...rest: unknown[]) => {
      originBytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
      return write(chunk, ...rest);
    }) as typeof res.write;
  });
  const tier1 = await startSquid({ name: "fanout-t1" });
  const tier2: RunningSquid[] = [];
  for (let i = 0; i < 2; i++) tier2.push(await startSquid({ name: `fanout-t2-${i}`, parent: { host: "127.0.0.1", port: tier1.port } }));
  const fleet = await startFleet({ server: server.url, token: AGENT_TOKEN, count: agentsCount, groups: ["rack-0", "rack-1"] });
  try {
    await server.api("POST", "/api/topology", { groups: tier2.map((squid, i) => ({ name: `rack-${i}`, proxies: [squid.url] })) });
    await waitFor("agents to get their group proxies", () =>
      fleet.agents.every((agent) => agent.proxies().length === 1) ? true : undefined,
    );
    const image = (await server.api("GET", "/api/images")).body.images[0];
    const artifact = await publishAndWait(server, image.id);
    const started = performance.now();
    // "jitter" with no delay: all agents ask at the same instant; only collapsed forwarding helps.
    const created = await server.api("POST", "/api/rollouts", { imageId: image.id, strategy: "jitter", jitterSeconds: 0 });
    const rollout = await waitFor(
      "the rollout",
      async () => {
        const { body } = await server.api("GET", `/api/rollouts/${created.body.rollout.id}`);
        return body.rollout.state === "running" ? undefined : body.rollout;
      },
      600_000,
    );
    const seconds = (performance.now() - started) / 1000;
    const placed = fleet.agents.filter((agent) => fs.existsSync(baseFilePath(agent.config.cacheDir, image.id))).length;
    const tier1Direct = (await tier1.accessLog()).filter(
      (entry) => entry.url === artifact.url && entry.hierarchy.startsWith("HIER_DIRECT"),
    ).length;
    console.log(
      `${agentsCount} agents, image ${imageBytes} B, artifact ${artifact.compressedSize} B, rollout ${rollout.state} (${rollout.counts.done} done, ${rollout.counts.failed} failed) in ${seconds.toFixed(1)} s`,
    );
    console.log(
      `delivered ${placed} × ${imageBytes} B = ${mibPerSecond(placed * imageBytes, seconds)} decompressed, ${mibPerSecond(placed * artifact.compressedSize, seconds)} on the wire`,
    );
    console.log(`origin: ${originRequests} GET(s), ${originBytes} B; tier-1 fetches from origin (access log HIER_DIRECT): ${tier1Direct}`);
    const perTier1 = originBytes / artifact.compressedSize / 1;
    console.log(
      `target: origin bytes = 1.00 × artifact size per tier-1 Squid → ${perTier1.toFixed(2)} × (${Math.abs(perTier1 - 1) < 0.005 ? "met" : "MISSED"})`,
    );
    console.log(`origin bytes per tier-1 Squid: ${perTier1.toFixed(2)} × artifact size`);
  } finally {
    await fleet.stop();
    await Promise.allSettled([tier1.stop(), ...tier2.map((squid) => squid.stop())]);
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
