import { describe, expect, it } from "vitest";
import { LINK_GOODPUT, modelRolloutSeconds } from "./rollout-model.ts";

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
