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
