// The seed's time model, refined: time = warm-up (each proxy fetches once) + fan-out
// (remaining copies over the proxies' aggregate bandwidth), never faster than one node's link.
export type ModelInput = {
  /** Bytes on the wire per node (the compressed artifact). */
  artifactBytes: number;
  nodes: number;
  /** Bits per second each proxy can send. */
  proxyBandwidthBps: number[];
  nodeBandwidthBps: number;
  /** Bits per second the origin can send (warm-up); defaults to a node's link. */
  originBandwidthBps?: number;
};

export function modelRolloutSeconds(input: ModelInput): number | null {
  const proxies = input.proxyBandwidthBps.filter((bps) => bps > 0);
  if (input.nodes === 0) return 0;
  if (proxies.length === 0 || input.nodeBandwidthBps <= 0) return null;
  const bits = input.artifactBytes * 8;
  const warmup = bits / Math.min(input.nodeBandwidthBps, input.originBandwidthBps ?? input.nodeBandwidthBps, ...proxies);
  const remaining = Math.max(0, input.nodes - proxies.length);
  const aggregate = proxies.reduce((sum, bps) => sum + bps, 0);
  const fanout = Math.max((bits * remaining) / aggregate, remaining > 0 ? bits / input.nodeBandwidthBps : 0);
  return warmup + fanout;
}
