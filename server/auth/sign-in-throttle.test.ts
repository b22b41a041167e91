import { describe, expect, it } from "vitest";
import { SignInThrottle } from "./sign-in-throttle.ts";

const MINUTE = 60_000;

function throttle(limits = { windowMs: 15 * MINUTE, maxPerAccount: 5, maxPerAddress: 20 }) {
  let now = 1_000_000;
  const subject = new SignInThrottle(limits, () => now);
  return { subject, advance: (ms: number) => (now += ms) };
}

describe("sign-in throttle", () => {
  it("locks an account after 5 failures for one window, whatever the address", () => {
    const { subject, advance } = throttle();
    for (let i = 0; i < 4; i++) subject.recordFailure("alice", `10.0.0.${i}`);
    expect(subject.retryAfterMs("alice", "10.0.0.9")).toBe(0);
    subject.recordFailure("Alice", "10.0.0.4");
    expect(subject.retryAfterMs("alice", "10.0.0.9")).toBe(15 * MINUTE);
    expect(subject.retryAfterMs("bob", "10.0.0.9")).toBe(0);
    advance(15 * MINUTE);
    expect(subject.retryAfterMs("alice", "10.0.0.9")).toBe(0);
  });

  it("locks an address after 20 failures across accounts", () => {
    const { subject } = throttle();
    for (let i = 0; i < 20; i++) subject.recordFailure(`user${i}`, "192.0.2.1");
    expect(subject.retryAfterMs("someone-else", "192.0.2.1")).toBe(15 * MINUTE);
    expect(subject.retryAfterMs("someone-else", "192.0.2.2")).toBe(0);
  });

  it("forgets failures older than the window", () => {
    const { subject, advance } = throttle();
    for (let i = 0; i < 4; i++) subject.recordFailure("alice", "a");
    advance(15 * MINUTE);
    subject.recordFailure("alice", "a");
    expect(subject.retryAfterMs("alice", "b")).toBe(0);
  });

  it("doubles each lockout that follows another, up to 16 windows", () => {
    const { subject, advance } = throttle({ windowMs: MINUTE, maxPerAccount: 2, maxPerAddress: 1000 });
    const lockouts: number[] = [];
    for (let round = 0; round < 7; round++) {
      subject.recordFailure("alice", "a");
      subject.recordFailure("alice", "a");
      const wait = subject.retryAfterMs("alice", "a");
      lockouts.push(wait / MINUTE);
      advance(wait);
    }
    expect(lockouts).toEqual([1, 2, 4, 8, 16, 16, 16]);
  });

  it("starts short again after a success or a long quiet spell", () => {
    const { subject, advance } = throttle({ windowMs: MINUTE, maxPerAccount: 1, maxPerAddress: 1000 });
    subject.recordFailure("alice", "a");
    advance(MINUTE);
    subject.recordFailure("alice", "a");
    expect(subject.retryAfterMs("alice", "a")).toBe(2 * MINUTE);
    advance(2 * MINUTE);
    subject.recordSuccess("alice");
    subject.recordFailure("alice", "b");
    expect(subject.retryAfterMs("alice", "b")).toBe(MINUTE);
    advance(MINUTE + 3 * MINUTE);
    subject.recordFailure("alice", "c");
    expect(subject.retryAfterMs("alice", "c")).toBe(MINUTE);
  });

  it("keeps its memory bounded under a flood of distinct names", () => {
    const { subject } = throttle();
    for (let i = 0; i < 120_000; i++) subject.recordFailure(`user${i}`, "spray");
    expect(subject.size).toBeLessThanOrEqual(100_001);
    expect(subject.retryAfterMs("anyone", "spray")).toBeGreaterThan(0);
  });
});
