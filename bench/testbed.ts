// `npm run bench -- testbed [--groups 4 --agents 25 --tier2-mbps 40 --node-mbps 100 --seconds 120 | --image-mib N]
//   [--strategy waves|jitter|both] [--jitter-seconds S] [--no-peers]`
// A scaled copy of CERN's shape with real links (network namespaces, veth, tc), a real Squid
// tree, the real server and one real agent per node: a real rollout per strategy, timed, next
// to the planner's prediction for the same shape: `testbed: measured M s, planner P s, ratio R`. Then
// the same with the peer tier: last line `peers: measured S s, speedup K× vs Squid-only`.
import { buildTestbed } from "./testbed/build-testbed.ts";
import { measureRollout, type RolloutRun } from "./testbed/measure-rollout.ts";
import { netnsUnavailableReason } from "./testbed/netns.ts";
import { parseShape } from "./testbed/shape.ts";

export async function run(args: string[]): Promise<void> {
  const unavailable = netnsUnavailableReason();
  if (unavailable) throw new Error(`testbed ${unavailable}`);
  const shape = parseShape(args);
  const strategyArg = args[args.indexOf("--strategy") + 1];
  const strategies =
    args.includes("--strategy") && strategyArg !== "both" ? [strategyArg as "waves" | "jitter"] : (["waves", "jitter"] as const);
  const jitterSeconds = args.includes("--jitter-seconds") ? Number(args[args.indexOf("--jitter-seconds") + 1]) : 5;
  const bytes = shape.imageMiB * 2 ** 20;
  const withPeers = !args.includes("--no-peers");
  const images = [...strategies, ...(withPeers ? ["peers"] : [])].map((name) => ({ name: `testbed-${name}.raw`, bytes }));
  console.log(
    `testbed: ${shape.groups} groups × ${shape.agentsPerGroup} agents, tier-2 ${shape.tier2Mbps} Mbit/s, nodes ${shape.nodeMbps} Mbit/s, image ${shape.imageMiB} MiB (random, so artifact ≈ image)`,
  );
  const began = Date.now();
  const testbed = await buildTestbed(shape, images);
  console.log(`  built in ${((Date.now() - began) / 1000).toFixed(1)} s: ${testbed.agents.length} agents connected`);
  const runs: RolloutRun[] = [];
  try {
    for (const strategy of strategies) {
      const result = await measureRollout(testbed, `testbed-${strategy}.raw`, {
        strategy,
        jitterSeconds: strategy === "jitter" ? jitterSeconds : undefined,
        timeoutSeconds: Math.max(600, shape.seconds * 10),
      });
      runs.push(result);
      console.log(
        `  ${strategy.padEnd(6)}: measured ${result.measuredSeconds.toFixed(1)} s, planner ${result.plannerSeconds.toFixed(1)} s, ratio ${result.ratio.toFixed(2)}, ${result.verifiedNodes}/${testbed.agents.length} nodes verified`,
      );
    }
    if (withPeers) {
      const peers = await measureRollout(testbed, "testbed-peers.raw", {
        strategy: "waves",
        source: "peers",
        timeoutSeconds: Math.max(600, shape.seconds * 10),
      });
      runs.push(peers);
      const copies = peers.squidEgressPerGroup.map((bytes) => (bytes / peers.artifactBytes).toFixed(2));
      console.log(
        `  peers : measured ${peers.measuredSeconds.toFixed(1)} s, planner ${peers.plannerSeconds.toFixed(1)} s, ratio ${peers.ratio.toFixed(2)}, ${peers.verifiedNodes}/${testbed.agents.length} nodes verified, Squid egress per group ${copies.join(" / ")} artifacts, ${(peers.bytesFromPeers / 2 ** 20).toFixed(0)} MiB from peers`,
      );
    }
  } finally {
    testbed.teardown();
  }
  const squidRuns = runs.filter((run) => run.source === "squid");
  const last = squidRuns.at(-1)!;
  const worst = squidRuns.reduce((a, b) => (Math.abs(Math.log(b.ratio)) > Math.abs(Math.log(a.ratio)) ? b : a));
  console.log(`  worst ratio: ${worst.strategy} ${worst.ratio.toFixed(2)} (goal 0.9–1.1)`);
  console.log(
    `testbed: measured ${last.measuredSeconds.toFixed(1)} s, planner ${last.plannerSeconds.toFixed(1)} s, ratio ${last.ratio.toFixed(2)}`,
  );
  const peers = runs.find((run) => run.source === "peers");
  const squidOnly = squidRuns.find((run) => run.strategy === "waves") ?? last;
  if (peers)
    console.log(
      `peers: measured ${peers.measuredSeconds.toFixed(1)} s, speedup ${(squidOnly.measuredSeconds / peers.measuredSeconds).toFixed(1)}× vs Squid-only`,
    );
}
