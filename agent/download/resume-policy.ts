// When a transfer breaks: where and when to continue, and when to give up. Pure, so the policy
// is unit-tested without sockets. Continuing always resumes from the bytes already received.
import { DEFAULT_RETRY_BUDGET_SECONDS } from "../../protocol/events.ts";

export type ResumePolicy = {
  /** Breaks tolerated on one route (each resumed with Range) before moving to the next route. */
  sameRouteTries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Wall-clock time without a new byte after which the download fails. */
  budgetMs: number;
};

export const DEFAULT_RESUME_POLICY: ResumePolicy = {
  sameRouteTries: 3,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  budgetMs: DEFAULT_RETRY_BUDGET_SECONDS * 1000,
};

/** A response that delivered every expected byte is complete, whatever the socket does next. */
export function isComplete(receivedBytes: number, expectedBytes: number | null): boolean {
  return expectedBytes !== null && receivedBytes >= expectedBytes;
}

/** Exponential from base to the cap, with jitter in [50 %, 100 %] so a rack does not retry in step. */
export function resumeDelayMs(failuresInRow: number, policy: ResumePolicy, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failuresInRow - 1));
  return Math.round(exponential * (0.5 + random() / 2));
}

export type ResumeState = {
  routeCount: number;
  routeIndex: number;
  /** Failures on the current route since we moved to it. */
  triesOnRoute: number;
  /** Failures since the last byte arrived (any route). */
  failuresInRow: number;
  /** Milliseconds since the last byte arrived (or since the download started). */
  sinceProgressMs: number;
  /** The failure never reached a response (refused, reset, 5xx): this route is down right now. */
  isRouteDown: boolean;
};

export type ResumeStep = { action: "continue"; routeIndex: number; delayMs: number } | { action: "give-up" };

/**
 * After a failure: the same route again (a break mid-body, up to sameRouteTries), else the next
 * route at once; coming back round to the first route (or having only one) waits with backoff.
 */
export function nextResumeStep(state: ResumeState, policy: ResumePolicy, random: () => number = Math.random): ResumeStep {
  const staysOnRoute = state.routeCount === 1 || (!state.isRouteDown && state.triesOnRoute < policy.sameRouteTries);
  const routeIndex = staysOnRoute ? state.routeIndex : (state.routeIndex + 1) % state.routeCount;
  const isFailover = routeIndex !== state.routeIndex && routeIndex !== 0;
  const delayMs = isFailover ? 0 : resumeDelayMs(state.failuresInRow, policy, random);
  if (state.sinceProgressMs + delayMs > policy.budgetMs) return { action: "give-up" };
  return { action: "continue", routeIndex, delayMs };
}
