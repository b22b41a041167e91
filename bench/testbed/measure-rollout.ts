// One real rollout on the testbed: started through the API, timed by the server's own clock
// (created → finished), with the planner's prediction for the same shape read at the start,
// and every node's placed file checked against the image's bytes.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Testbed } from "./build-testbed.ts";
import { sleep } from "./testbed-api.ts";

export type RolloutRun = {
  strategy: "waves" | "jitter";
  source: "squid" | "peers";
  /** Artifact bytes each group's tier-2 Squid sent during the rollout, and the artifact's size. */
  squidEgressPerGroup: number[];
  artifactBytes: number;
  /** Compressed bytes nodes got from peers, as the server recorded them. */
  bytesFromPeers: number;
  measuredSeconds: number;
  plannerSeconds: number;
  ratio: number;
  counts: Record<string, number>;
  /** Nodes whose cache dir holds exactly one file with the image's sha256 (and nothing partial). */
  verifiedNodes: number;
};

type RolloutAnswer = {
  id: string;
  state: string;
  createdAt: string;
  finishedAt: string | null;
  counts: Record<string, number>;
  bytesFromPeers: number;
  model: { totalSeconds: number | null };
  hypervisors: { name: string; state: string; error: string | null }[];
};

export async function measureRollout(
  testbed: Testbed,
  imageName: string,
  options: { strategy: "waves" | "jitter"; source?: "squid" | "peers"; jitterSeconds?: number; timeoutSeconds: number },
): Promise<RolloutRun> {
  const image = await testbed.api.imageByName(imageName);
  if (!image) throw new Error(`image ${imageName} not found`);
  await testbed.api.publish(image.id);
  const source = options.source ?? "squid";
  const egressBefore = testbed.squidEgressBytes();
  const body = {
    imageId: image.id,
    strategy: options.strategy,
    source,
    ...(options.jitterSeconds ? { jitterSeconds: options.jitterSeconds } : {}),
  };
  const { rollout: created } = await testbed.api.call<{ rollout: RolloutAnswer }>("POST", "/api/rollouts", body);
  // The planner's figure for the whole rollout, as the rollout page shows it.
  const started = (await testbed.api.call<{ rollout: RolloutAnswer }>("GET", `/api/rollouts/${created.id}`)).rollout;
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  let rollout = started;
  while (rollout.state === "running" || rollout.state === "paused") {
    if (Date.now() > deadline)
      throw new Error(`rollout ${rollout.id} still ${rollout.state} after ${options.timeoutSeconds} s: ${JSON.stringify(rollout.counts)}`);
    await sleep(500);
    rollout = (await testbed.api.call<{ rollout: RolloutAnswer }>("GET", `/api/rollouts/${started.id}`)).rollout;
  }
  if (!rollout.finishedAt) throw new Error(`rollout ${rollout.id} ended ${rollout.state} without a finish time`);
  const failures = rollout.hypervisors.filter((node) => node.state !== "done");
  if (failures.length) {
    const sample = failures.slice(0, 5).map((node) => `${node.name}: ${node.state} ${node.error ?? ""}`);
    throw new Error(`rollout ${rollout.id} ended ${rollout.state} with ${failures.length} nodes not done:\n${sample.join("\n")}`);
  }
  const measuredSeconds = (Date.parse(rollout.finishedAt) - Date.parse(rollout.createdAt)) / 1000;
  const plannerSeconds = started.model.totalSeconds ?? Number.NaN;
  const expected = await sha256(path.join(testbed.imageDir, imageName));
  let verifiedNodes = 0;
  for (const agent of testbed.agents) if (await holdsExactly(agent.cacheDir, expected, image.size)) verifiedNodes += 1;
  // Squid logs a transfer when it ends, a moment after the client has its last byte.
  await sleep(1000);
  const egressAfter = testbed.squidEgressBytes();
  const { image: published } = await testbed.api.call<{ image: { artifact: { compressedSize: number } } }>(
    "GET",
    `/api/images/${image.id}`,
  );
  return {
    strategy: options.strategy,
    source,
    squidEgressPerGroup: egressAfter.map((bytes, group) => bytes - egressBefore[group]),
    artifactBytes: published.artifact.compressedSize,
    bytesFromPeers: rollout.bytesFromPeers,
    measuredSeconds,
    plannerSeconds,
    ratio: measuredSeconds / plannerSeconds,
    counts: rollout.counts,
    verifiedNodes,
  };
}

/** Whether one file in the cache dir has this content, and no temp or partial file is left. */
async function holdsExactly(cacheDir: string, expectedSha256: string, size: number): Promise<boolean> {
  const names = await fs.promises.readdir(cacheDir);
  if (names.some((name) => name.startsWith(".") || name.includes(".part") || name.includes(".tmp"))) return false;
  for (const name of names) {
    const file = path.join(cacheDir, name);
    if ((await fs.promises.stat(file)).size === size && (await sha256(file)) === expectedSha256) return true;
  }
  return false;
}

async function sha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
