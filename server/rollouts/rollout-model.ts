// The seed's time model, refined: time = warm-up (each proxy fetches once) + fan-out
// (remaining copies over the proxies' aggregate bandwidth), never faster than one node's link.
// Checked against real bytes on rate-limited links by `npm run bench -- testbed`, which taught
// it two things the seed's arithmetic leaves out: TCP/IP carries ~95 % of a link's rate as
// payload, and the jitter strategy leaves links idle while nodes wait out their random delays.
export type ModelInput = {
  /** Bytes on the wire per node (the compressed artifact). */
  artifactBytes: number;
  nodes: number;
  /** Bits per second each proxy can send. */
  proxyBandwidthBps: number[];
  nodeBandwidthBps: number;
  /** Bits per second the origin can send (warm-up); defaults to a node's link. */
  originBandwidthBps?: number;
  /** "jitter": each node first waits a random delay in [0, jitterSeconds]. */
  strategy?: "waves" | "jitter";
  jitterSeconds?: number;
};

/** Payload share of a link's rate with TCP over 1500-byte Ethernet frames (1448 of 1514 bytes). */
export const LINK_GOODPUT = 0.95;

export function modelRolloutSeconds(input: ModelInput): number | null {
  const proxies = input.proxyBandwidthBps.filter((bps) => bps > 0).map((bps) => bps * LINK_GOODPUT);
  if (input.nodes === 0) return 0;
  if (proxies.length === 0 || input.nodeBandwidthBps <= 0) return null;
  const nodeBps = input.nodeBandwidthBps * LINK_GOODPUT;
  const bits = input.artifactBytes * 8;
  const oneCopy = bits / Math.min(nodeBps, (input.originBandwidthBps ?? input.nodeBandwidthBps) * LINK_GOODPUT, ...proxies);
  const remaining = Math.max(0, input.nodes - proxies.length);
  const aggregate = proxies.reduce((sum, bps) => sum + bps, 0);
  const fanout = Math.max((bits * remaining) / aggregate, remaining > 0 ? bits / nodeBps : 0);
  const proxyBound = oneCopy + fanout;
  if (input.strategy !== "jitter" || !input.jitterSeconds) return proxyBound;
  // n delays uniform in [0, J]: the first starts after J/(n+1) on average, the last after J·n/(n+1).
  // Either the proxies stay the bottleneck once the first node starts, or the last node to wake
  // fetches on a link that is by then quiet.
  const { nodes } = input;
  const jitter = input.jitterSeconds;
  return Math.max(jitter / (nodes + 1) + proxyBound, (jitter * nodes) / (nodes + 1) + oneCopy);
}

export type PeerModelInput = {
  artifactBytes: number;
  /** Nodes behind each group's proxy (one entry per group). */
  groupNodes: number[];
  /** Bits per second each group's proxy can send. */
  proxyBandwidthBps: number;
  nodeBandwidthBps: number;
  /** Nodes per group that fetch through the proxy (the tree's roots). */
  seeds: number;
  /** Downloads one holder serves at once. */
  fanout: number;
};

/**
 * The peer tier: per group, the seeds fetch through the proxy (sharing it), then every holder
 * serves `fanout` nodes at once over its own link, so holders multiply by (1 + fanout) per
 * round; a round moves one copy over a node link split `fanout` ways. Groups run in parallel.
 */
export function modelPeerRolloutSeconds(input: PeerModelInput): number | null {
  if (input.proxyBandwidthBps <= 0 || input.nodeBandwidthBps <= 0) return null;
  const bits = input.artifactBytes * 8;
  const nodeBps = input.nodeBandwidthBps * LINK_GOODPUT;
  const proxyBps = input.proxyBandwidthBps * LINK_GOODPUT;
  const fanout = Math.max(1, input.fanout);
  let slowest = 0;
  for (const nodes of input.groupNodes) {
    if (nodes === 0) continue;
    const seeds = Math.min(nodes, Math.max(1, input.seeds));
    let seconds = (bits * seeds) / Math.min(proxyBps, nodeBps * seeds);
    let holders = seeds;
    while (holders < nodes) {
      const served = Math.min(nodes - holders, holders * fanout);
      // A holder with fewer than `fanout` downloads gives each a larger share of its link.
      const perHolder = Math.ceil(served / holders);
      seconds += (bits * perHolder) / nodeBps;
      holders += served;
    }
    slowest = Math.max(slowest, seconds);
  }
  return slowest;
}
