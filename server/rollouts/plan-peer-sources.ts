// The peer tier's distribution tree for one group, as a pure function: the first `seeds` nodes
// fetch through the group's Squid; every later node fetches from group members that already hold
// the verified artifact, each serving at most `fanout` nodes at once (so a done node's link is
// split between few downloads, and the number of holders doubles quickly). A node without a free
// peer waits for one rather than going to the Squid, unless none can come (no holder left and
// nothing in flight). A retry goes to the Squid, with a fresh copy. Peers that failed a node are
// left out.
export type PeerHolder = { name: string; url: string; uploads: number };
export type PeerAssignment = { name: string; source: "squid" } | { name: string; source: "peers"; peers: { name: string; url: string }[] };

export type PeerPlanInput = {
  /** Nodes of the group ready to start, in dispatch order. */
  pending: string[];
  /** Nodes of the group that already went to the Squid in this rollout (running or finished). */
  squidStarted: number;
  /** How many nodes per group fetch through the Squid (the tree's roots). */
  seeds: number;
  /** Group members holding the verified artifact, with the downloads they serve now. */
  holders: PeerHolder[];
  fanout: number;
  /** Holders that failed or lied to a node of this rollout. */
  excluded: ReadonlySet<string>;
  /** Fallback peers named after the chosen one (the agent tries them in order, then the Squid). */
  fallbacks?: number;
  /** Nodes whose previous attempt failed: they go to the Squid. */
  retries?: ReadonlySet<string>;
  /** Downloads of the group running now (future holders). */
  inFlight?: number;
};

export function planPeerSources(input: PeerPlanInput): PeerAssignment[] {
  const assignments: PeerAssignment[] = [];
  let squidLeft = Math.max(0, input.seeds - input.squidStarted);
  const holders = input.holders.filter((holder) => !input.excluded.has(holder.name)).map((holder) => ({ ...holder }));
  // Holders now or soon (downloads running, and those sent now): with none, waiting is forever.
  let future = holders.length + (input.inFlight ?? 0);
  for (const name of input.pending) {
    if (input.retries?.has(name) || squidLeft > 0 || future === 0) {
      assignments.push({ name, source: "squid" });
      if (!input.retries?.has(name)) squidLeft -= 1;
      future += 1;
      continue;
    }
    const free = holders.filter((holder) => holder.uploads < input.fanout && holder.name !== name);
    if (free.length === 0) continue;
    free.sort((a, b) => a.uploads - b.uploads || a.name.localeCompare(b.name));
    const [chosen, ...others] = free;
    chosen.uploads += 1;
    const fallbacks = others.slice(0, input.fallbacks ?? 2);
    assignments.push({ name, source: "peers", peers: [chosen, ...fallbacks].map(({ name: peer, url }) => ({ name: peer, url })) });
  }
  return assignments;
}
