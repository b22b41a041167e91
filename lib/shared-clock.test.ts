import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clockNow, watchClock } from "./shared-clock";

describe("shared clock", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.parse("2026-11-30T12:00:00Z"));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("ticks once a second while a watched time is under a minute away, on one timer", () => {
    const ticks: number[] = [];
    const stopA = watchClock(Date.now() - 5_000, () => ticks.push(clockNow()));
    const stopB = watchClock(Date.now() - 7_000, () => undefined);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(3_000);
    expect(ticks.length).toBe(3);
    expect(ticks[2] - ticks[0]).toBe(2_000);
    stopA();
    stopB();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("waits longer for older times, and a fresh time brings the next tick forward", () => {
    let oldTicks = 0;
    const stopOld = watchClock(Date.now() - 10 * 60_000, () => oldTicks++);
    vi.advanceTimersByTime(9_999);
    expect(oldTicks).toBe(0);
    vi.advanceTimersByTime(1);
    expect(oldTicks).toBe(1);
    vi.advanceTimersByTime(5_000);
    expect(clockNow()).toBe(Date.now()); // a time first shown between slow ticks is not read 5 s late
    const stopFresh = watchClock(Date.now() - 1_000, () => undefined);
    vi.advanceTimersByTime(1_000);
    expect(oldTicks).toBe(2);
    expect(vi.getTimerCount()).toBe(1);
    stopFresh();
    stopOld();
  });

  it("holds its reading between ticks, so each render sees one time", () => {
    const stop = watchClock(Date.now(), () => undefined);
    const reading = clockNow();
    vi.setSystemTime(Date.now() + 400);
    expect(clockNow()).toBe(reading);
    vi.advanceTimersByTime(1_000);
    expect(clockNow()).toBeGreaterThan(reading);
    stop();
  });
});
