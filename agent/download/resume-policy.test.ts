import { describe, expect, it } from "vitest";
import { DEFAULT_RESUME_POLICY, isComplete, nextResumeStep, resumeDelayMs, type ResumeState } from "./resume-policy.ts";
import { createPacer } from "./throttle.ts";

const policy = DEFAULT_RESUME_POLICY;
const state = (over: Partial<ResumeState>): ResumeState => ({
  routeCount: 1,
  routeIndex: 0,
  triesOnRoute: 1,
  failuresInRow: 1,
  sinceProgressMs: 0,
  isRouteDown: false,
  ...over,
});

describe("complete at the expected length", () => {
  it("counts a response that delivered every expected byte as complete, even if the socket then broke", () => {
    expect(isComplete(4_195_607, 4_195_607)).toBe(true);
    expect(isComplete(4_195_606, 4_195_607)).toBe(false);
    expect(isComplete(10, null)).toBe(false); // no length known: only a clean end counts
  });
});

describe("resume backoff", () => {
  it("grows from 1 s to a 30 s cap, jittered between half and all of it", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 12].map((n) => resumeDelayMs(n, policy, () => 1))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ]);
    expect(resumeDelayMs(1, policy, () => 0)).toBe(500);
    expect(resumeDelayMs(20, policy, () => 0)).toBe(15_000);
  });
});

describe("where to continue after a failure", () => {
  it("resumes a break on the same route, with backoff, up to sameRouteTries", () => {
    expect(nextResumeStep(state({ routeCount: 2, triesOnRoute: 1 }), policy, () => 1)).toEqual({
      action: "continue",
      routeIndex: 0,
      delayMs: 1_000,
    });
    expect(nextResumeStep(state({ routeCount: 2, triesOnRoute: 2, failuresInRow: 2 }), policy, () => 1)).toEqual({
      action: "continue",
      routeIndex: 0,
      delayMs: 2_000,
    });
  });
  it("then moves to the next route at once", () => {
    expect(nextResumeStep(state({ routeCount: 2, triesOnRoute: 3, failuresInRow: 3 }), policy)).toEqual({
      action: "continue",
      routeIndex: 1,
      delayMs: 0,
    });
  });
  it("moves on at once when the route is down (refused, 5xx)", () => {
    expect(nextResumeStep(state({ routeCount: 3, routeIndex: 1, isRouteDown: true }), policy)).toEqual({
      action: "continue",
      routeIndex: 2,
      delayMs: 0,
    });
  });
  it("backs off when coming round to the first route again", () => {
    expect(nextResumeStep(state({ routeCount: 2, routeIndex: 1, isRouteDown: true, failuresInRow: 4 }), policy, () => 1)).toEqual({
      action: "continue",
      routeIndex: 0,
      delayMs: 8_000,
    });
  });
  it("keeps retrying a single route, even when it is down, for the whole budget", () => {
    const step = nextResumeStep(
      state({ isRouteDown: true, triesOnRoute: 40, failuresInRow: 40, sinceProgressMs: 60_000 }),
      policy,
      () => 1,
    );
    expect(step).toEqual({ action: "continue", routeIndex: 0, delayMs: 30_000 });
  });
  it("gives up only when the next wait would pass the budget without progress", () => {
    expect(nextResumeStep(state({ failuresInRow: 9, sinceProgressMs: 570_000 }), policy, () => 1)).toEqual({
      action: "continue",
      routeIndex: 0,
      delayMs: 30_000,
    });
    expect(nextResumeStep(state({ failuresInRow: 9, sinceProgressMs: 570_001 }), policy, () => 1)).toEqual({ action: "give-up" });
    expect(nextResumeStep(state({ sinceProgressMs: 1_500 }), { ...policy, budgetMs: 2_000 }, () => 1)).toEqual({ action: "give-up" });
  });
});

describe("read pacing", () => {
  it("lets a quarter-second burst through, then asks for waits that hold the average", () => {
    let now = 0;
    const pacer = createPacer(1_000_000, 0.25, () => now);
    expect(pacer.take(250_000)).toBe(0);
    expect(pacer.take(100_000)).toBe(100);
    now = 1_000; // a second later: 1 MB more allowed, capped at the burst
    expect(pacer.take(250_000)).toBe(0);
  });
});
