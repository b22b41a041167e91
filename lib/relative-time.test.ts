import { describe, expect, it } from "vitest";
import { formatRelativeTime, refreshInterval } from "./relative-time";

const NOW = Date.parse("2026-11-30T12:00:00Z");
const ago = (ms: number) => NOW - ms;

describe("formatRelativeTime", () => {
  it.each([
    [0, "just now"],
    [999, "just now"],
    [1000, "1 s ago"],
    [5_400, "5 s ago"],
    [59_999, "59 s ago"],
    [60_000, "1 min ago"],
    [3 * 60_000 + 59_000, "3 min ago"],
    [59 * 60_000, "59 min ago"],
    [60 * 60_000, "1 h ago"],
    [23 * 3_600_000 + 59 * 60_000, "23 h ago"],
    [24 * 3_600_000, "1 d ago"],
    [400 * 24 * 3_600_000, "400 d ago"],
  ])("%i ms in the past reads %s", (distance, text) => {
    expect(formatRelativeTime(ago(distance), NOW)).toBe(text);
  });

  it.each([
    [2 * 60_000, "in 2 min"],
    [5_000, "in 5 s"],
    [3 * 3_600_000, "in 3 h"],
  ])("%i ms in the future reads %s", (distance, text) => {
    expect(formatRelativeTime(NOW + distance, NOW)).toBe(text);
  });

  it("says nothing about an unreadable time", () => {
    expect(formatRelativeTime(Number.NaN, NOW)).toBe("");
  });
});

describe("refreshInterval", () => {
  it("ticks every second under a minute, every 10 s under an hour, every minute beyond", () => {
    expect(refreshInterval(ago(5_000), NOW)).toBe(1000);
    expect(refreshInterval(NOW + 30_000, NOW)).toBe(1000);
    expect(refreshInterval(ago(5 * 60_000), NOW)).toBe(10_000);
    expect(refreshInterval(ago(2 * 3_600_000), NOW)).toBe(60_000);
  });
});
