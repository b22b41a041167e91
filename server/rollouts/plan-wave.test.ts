// The wave policy on its own: warm-up per proxy, per-proxy concurrency, jitter and bandwidth,
// with no database (the scheduler's reads and writes are covered in test/repository.test.ts).
import { describe, expect, it } from "vitest";
import { downloadPacing, hasStalled, isDue, planWave, type ProxyLoad, type WaveCandidate, type WavePolicy } from "./plan-wave.ts";

const waves: WavePolicy = { strategy: "waves", perProxyConcurrency: 3, jitterMs: 60_000, bandwidthBytesPerSecond: null };
const jitter: WavePolicy = { ...waves, strategy: "jitter" };
const idle: ProxyLoad = { warm: new Set(), downloading: new Map() };

const nodes = (proxy: string, count: number): WaveCandidate[] =>
  Array.from({ length: count }, (_, index) => ({ hypervisor: `${proxy}-hv${index}`, proxy, lastError: null }));
const names = (wave: WaveCandidate[]) => wave.map((candidate) => candidate.hypervisor);

describe("planWave", () => {
  it("warms each cold proxy with one download, every proxy at once", () => {
    const wave = planWave(waves, [...nodes("squid-a", 5), ...nodes("squid-b", 5)], idle);
    expect(names(wave)).toEqual(["squid-a-hv0", "squid-b-hv0"]);
  });

  it("sends nothing more through a cold proxy while its warm-up runs", () => {
    const load: ProxyLoad = { warm: new Set(), downloading: new Map([["squid-a", 1]]) };
    expect(planWave(waves, nodes("squid-a", 5), load)).toEqual([]);
  });

  it("fills a warm proxy up to its concurrency, counting downloads already running", () => {
    const load: ProxyLoad = { warm: new Set(["squid-a"]), downloading: new Map([["squid-a", 1]]) };
    expect(names(planWave(waves, nodes("squid-a", 5), load))).toEqual(["squid-a-hv0", "squid-a-hv1"]);
    expect(planWave(waves, nodes("squid-a", 5), { ...load, downloading: new Map([["squid-a", 3]]) })).toEqual([]);
  });

  it("limits each proxy on its own: a warm one does not warm its neighbour", () => {
    const load: ProxyLoad = { warm: new Set(["squid-a"]), downloading: new Map() };
    const wave = planWave(waves, [...nodes("squid-a", 5), ...nodes("squid-b", 5)], load);
    expect(names(wave)).toEqual(["squid-a-hv0", "squid-a-hv1", "squid-a-hv2", "squid-b-hv0"]);
  });

  it("keeps the candidates' order and their last errors, and leaves the load it was given alone", () => {
    const downloading = new Map([["direct", 0]]);
    const candidates = [{ hypervisor: "hv-b", proxy: "direct", lastError: "HASH_MISMATCH: bad" }, ...nodes("direct", 2)];
    const wave = planWave(waves, candidates, { warm: new Set(["direct"]), downloading });
    expect(wave).toEqual(candidates);
    expect(downloading.get("direct")).toBe(0);
  });

  it("with jitter, sends every candidate at once, warm or not", () => {
    const load: ProxyLoad = { warm: new Set(), downloading: new Map([["squid-a", 40]]) };
    expect(planWave(jitter, nodes("squid-a", 50), load)).toHaveLength(50);
  });
});

describe("downloadPacing", () => {
  it("spreads starts over the jitter window only for jitter rollouts", () => {
    expect(downloadPacing(jitter).jitterMs).toBe(60_000);
    expect(downloadPacing(waves).jitterMs).toBe(0);
  });

  it("caps every download at the rollout's bandwidth, or not at all", () => {
    expect(downloadPacing({ ...waves, bandwidthBytesPerSecond: 12_500_000n }).bandwidthBytesPerSecond).toBe(12_500_000);
    expect(downloadPacing({ ...jitter, bandwidthBytesPerSecond: 1000n }).bandwidthBytesPerSecond).toBe(1000);
    expect(downloadPacing(waves).bandwidthBytesPerSecond).toBeNull();
  });
});

describe("hasStalled and isDue", () => {
  const now = Date.parse("2026-11-30T12:00:00Z");

  it("a download is stalled once silent for longer than the timeout; no sign of life yet is not stalled", () => {
    expect(hasStalled(new Date(now - 60_001), now, 60_000)).toBe(true);
    expect(hasStalled(new Date(now - 60_000), now, 60_000)).toBe(false);
    expect(hasStalled(null, now, 60_000)).toBe(false);
  });

  it("a pending target is due after its backoff, and only while its node is connected", () => {
    expect(isDue({ state: "pending", nextAttemptAt: null }, now, true)).toBe(true);
    expect(isDue({ state: "pending", nextAttemptAt: new Date(now) }, now, true)).toBe(true);
    expect(isDue({ state: "pending", nextAttemptAt: new Date(now + 1) }, now, true)).toBe(false);
    expect(isDue({ state: "pending", nextAttemptAt: null }, now, false)).toBe(false);
    expect(isDue({ state: "downloading", nextAttemptAt: null }, now, true)).toBe(false);
  });
});
