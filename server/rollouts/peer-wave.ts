// A scheduler pass for a peer-tier rollout: reads, per group (the proxy its nodes go through),
// how many nodes went to the Squid, who holds the artifact and how busy they are, and asks the
// distribution tree (plan-peer-sources.ts) whom to send where.
import { TargetState } from "../../protocol/states.ts";
import type { AppContext } from "../context.ts";
import type { DispatchRequest, RolloutWithImage } from "./dispatch-target.ts";
import { planPeerSources, type PeerHolder } from "./plan-peer-sources.ts";
import type { WaveCandidate } from "./plan-wave.ts";
import { findInChunks } from "../db/in-chunks.ts";

/** Nodes per group that fetch through the Squid: the tree's roots (a second one if the first fails). */
export const PEER_SEEDS_PER_GROUP = 1;
/** Downloads one holder serves at once: 1 doubles the holders per round, each at its full link. */
export const PEER_FANOUT = 1;

export async function planPeerWave(
  context: Pick<AppContext, "db" | "agents">,
  rollout: RolloutWithImage,
  candidates: readonly WaveCandidate[],
): Promise<DispatchRequest[]> {
  const { db } = context;
  const [started, done] = await Promise.all([
    db.rolloutTarget.groupBy({
      by: ["proxy", "source"],
      where: { rolloutId: rollout.id, attempts: { gt: 0 }, state: { in: [TargetState.downloading, TargetState.done] } },
      _count: { _all: true },
    }),
    db.rolloutTarget.findMany({
      where: { rolloutId: rollout.id, state: TargetState.done, attempts: { gt: 0 } },
      select: { hypervisorName: true, proxy: true },
    }),
  ]);
  const uploads = new Map<string, number>();
  const squidStarted = new Map<string, number>();
  const inFlight = new Map<string, number>();
  const downloading = await db.rolloutTarget.groupBy({
    by: ["proxy"],
    where: { rolloutId: rollout.id, state: TargetState.downloading },
    _count: { _all: true },
  });
  for (const row of downloading) if (row.proxy) inFlight.set(row.proxy, row._count._all);
  for (const row of started) {
    if (row.source === "squid" && row.proxy) squidStarted.set(row.proxy, (squidStarted.get(row.proxy) ?? 0) + row._count._all);
  }
  const running = await db.rolloutTarget.groupBy({
    by: ["source"],
    where: { rolloutId: rollout.id, state: TargetState.downloading, source: { startsWith: "peer:" } },
    _count: { _all: true },
  });
  for (const row of running) uploads.set(row.source!.slice(5), row._count._all);
  const peerUrls = new Map(
    (
      await findInChunks(
        done.map((target) => target.hypervisorName),
        (names) =>
          db.hypervisor.findMany({ where: { name: { in: names }, peerUrl: { not: null } }, select: { name: true, peerUrl: true } }),
      )
    ).map((row) => [row.name, row.peerUrl!]),
  );
  const holdersByProxy = new Map<string, PeerHolder[]>();
  for (const target of done) {
    const url = peerUrls.get(target.hypervisorName);
    if (!url || !target.proxy || !context.agents.isOnline(target.hypervisorName)) continue;
    const holders = holdersByProxy.get(target.proxy) ?? [];
    holders.push({ name: target.hypervisorName, url, uploads: uploads.get(target.hypervisorName) ?? 0 });
    holdersByProxy.set(target.proxy, holders);
  }
  const byProxy = new Map<string, WaveCandidate[]>();
  for (const candidate of candidates) byProxy.set(candidate.proxy, [...(byProxy.get(candidate.proxy) ?? []), candidate]);
  const excluded = new Set(rollout.excludedPeers);
  const requests: DispatchRequest[] = [];
  for (const [proxy, group] of byProxy) {
    const lastErrors = new Map(group.map((candidate) => [candidate.hypervisor, candidate.lastError]));
    const plan = planPeerSources({
      pending: group.map((candidate) => candidate.hypervisor),
      retries: new Set(group.filter((candidate) => candidate.lastError !== null).map((candidate) => candidate.hypervisor)),
      inFlight: inFlight.get(proxy) ?? 0,
      squidStarted: squidStarted.get(proxy) ?? 0,
      seeds: PEER_SEEDS_PER_GROUP,
      holders: holdersByProxy.get(proxy) ?? [],
      fanout: PEER_FANOUT,
      excluded,
    });
    for (const step of plan) {
      const lastError = lastErrors.get(step.name) ?? null;
      requests.push({ hypervisor: step.name, proxy, lastError, ...(step.source === "peers" ? { peers: step.peers } : {}) });
    }
  }
  return requests;
}
