// The rollout planner's time model on CERN's topology, against the seed's own figure.
import { modelRolloutSeconds } from "../server/rollouts/rollout-model.ts";

export async function run(): Promise<void> {
  // The seed: 393 MB (gzip -6) to 1300 nodes over 4 Squids × 2 Gbps; nodes 1 Gbps. Its arithmetic
  // uses 1 Gb = 1024 Mb and 1 MB = 8 Mb: 393*8/(1024*8)*1300/60 = 8.3 min.
  const seedSeconds = ((393 * 8) / (1024 * 8)) * 1300;
  // Same units as the seed: 1 MB = 2^20 B, 1 Gb/s = 1024 Mb/s with 1 Mb = 2^20 b.
  const MB = 2 ** 20;
  const Mbps = 2 ** 20;
  const squids = Array(4).fill(2048 * Mbps);
  const ours = modelRolloutSeconds({ artifactBytes: 393 * MB, nodes: 1300, proxyBandwidthBps: squids, nodeBandwidthBps: 1024 * Mbps })!;
  const uncompressed = modelRolloutSeconds({
    artifactBytes: 1300 * MB,
    nodes: 1300,
    proxyBandwidthBps: squids,
    nodeBandwidthBps: 1024 * Mbps,
  })!;
  const noSquid = modelRolloutSeconds({
    artifactBytes: 393 * MB,
    nodes: 1300,
    proxyBandwidthBps: [1024 * Mbps],
    nodeBandwidthBps: 1024 * Mbps,
  })!;
  console.log(`seed's figure:           ${(seedSeconds / 60).toFixed(2)} min (size × nodes / aggregate proxy bandwidth)`);
  console.log(`Precache planner:        ${(ours / 60).toFixed(2)} min (warm-up wave + fan-out)`);
  console.log(`  uncompressed (1.3 GB): ${(uncompressed / 60).toFixed(1)} min (seed: 27.5 min)`);
  console.log(`  no Squid (1 Gbps origin): ${(noSquid / 60).toFixed(1)} min (seed: 66.5 min)`);
  const ratio = ours / seedSeconds;
  // The seed's arithmetic counts every bit of a link as payload; the planner takes TCP/IP's ~5 %
  // (measured on real links by the testbed). The seed's own measurement: "under 9 minutes".
  const isWithin = ours >= seedSeconds && ours <= 9 * 60;
  console.log(`target: between the seed's arithmetic (8.32 min) and its measured "under 9 minutes" → ${isWithin ? "met" : "MISSED"}`);
  console.log(`ratio: ${ratio.toFixed(3)} vs seed model`);
}
