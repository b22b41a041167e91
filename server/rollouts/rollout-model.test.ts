import { describe, expect, it } from "vitest";
import { LINK_GOODPUT, modelPeerRolloutSeconds, modelRolloutSeconds } from "./rollout-model.ts";

const MBIT = 1e6;
// 8 MiB per node: 67.1 Mbit.
const base = { artifactBytes: 8 * 2 ** 20, nodes: 12, proxyBandwidthBps: [40 * MBIT, 40 * MBIT], nodeBandwidthBps: 100 * MBIT };
const bits = base.artifactBytes * 8;
const proxyGoodput = 40 * MBIT * LINK_GOODPUT;

describe("rollout time model", () => {
  it("waves: one copy per proxy, then the rest over the proxies' payload rate", () => {
    const expected = bits / proxyGoodput + (bits * 10) / (2 * proxyGoodput);
    expect(modelRolloutSeconds(base)).toBeCloseTo(expected, 6);
  });

  it("is never faster than a node's own link", () => {
    const seconds = modelRolloutSeconds({ ...base, nodes: 3, proxyBandwidthBps: [10_000 * MBIT, 10_000 * MBIT] })!;
    expect(seconds).toBeCloseTo(bits / (100 * MBIT * LINK_GOODPUT) + bits / (100 * MBIT * LINK_GOODPUT), 6);
  });

  it("jitter shorter than the transfer adds the first node's expected wait", () => {
    const waves = modelRolloutSeconds(base)!;
    expect(modelRolloutSeconds({ ...base, strategy: "jitter", jitterSeconds: 2.6 })).toBeCloseTo(waves + 2.6 / 13, 6);
  });

  it("jitter longer than the transfer is bound by the last node to wake", () => {
    const seconds = modelRolloutSeconds({ ...base, strategy: "jitter", jitterSeconds: 130 })!;
    expect(seconds).toBeCloseTo((130 * 12) / 13 + bits / proxyGoodput, 6);
  });

  it("has no answer without proxy bandwidths, and zero for no nodes", () => {
    expect(modelRolloutSeconds({ ...base, proxyBandwidthBps: [] })).toBeNull();
    expect(modelRolloutSeconds({ ...base, nodes: 0 })).toBe(0);
  });
});

describe("peer tier model", () => {
  it("doubles the holders every round with fanout 1, after one copy through the proxy", () => {
    const seconds = modelPeerRolloutSeconds({
      artifactBytes: base.artifactBytes,
      groupNodes: [8, 8],
      proxyBandwidthBps: 40 * MBIT,
      nodeBandwidthBps: 100 * MBIT,
      seeds: 1,
      fanout: 1,
    })!;
    // 1 → 2 → 4 → 8 holders: three rounds over 100 Mbit/s links.
    expect(seconds).toBeCloseTo(bits / proxyGoodput + (3 * bits) / (100 * MBIT * LINK_GOODPUT), 6);
  });

  it("beats the proxy-bound time by far on the testbed's default shape", () => {
    const artifactBytes = 22 * 2 ** 20;
    const peers = modelPeerRolloutSeconds({
      artifactBytes,
      groupNodes: [25, 25, 25, 25],
      proxyBandwidthBps: 40 * MBIT,
      nodeBandwidthBps: 100 * MBIT,
      seeds: 1,
      fanout: 1,
    })!;
    const squid = modelRolloutSeconds({
      artifactBytes,
      nodes: 100,
      proxyBandwidthBps: Array(4).fill(40 * MBIT),
      nodeBandwidthBps: 100 * MBIT,
    })!;
    expect(peers).toBeLessThan(squid / 4);
  });
});
