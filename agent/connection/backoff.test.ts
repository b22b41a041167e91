import { describe, expect, it } from "vitest";
import { backoffDelay, INVENTORY_BACKOFF, REFUSED_BACKOFF, serverDisconnectDelay } from "./backoff.ts";

const refused = { firstMs: 5000, ...REFUSED_BACKOFF };
const inventory = { firstMs: 5000, ...INVENTORY_BACKOFF };

describe("retry backoff", () => {
  it("doubles from the first delay with each failure in a row (no jitter at random 0.5)", () => {
    expect([0, 1, 2, 3, 4].map((failures) => backoffDelay(refused, failures, 0.5))).toEqual([5000, 10_000, 20_000, 40_000, 80_000]);
  });

  it("caps a refused agent at 5 minutes and an unrecorded inventory at 1 minute", () => {
    expect(backoffDelay(refused, 6, 0.5)).toBe(300_000);
    expect(backoffDelay(refused, 50, 0.5)).toBe(300_000);
    expect(backoffDelay(inventory, 3, 0.5)).toBe(40_000);
    expect(backoffDelay(inventory, 4, 0.5)).toBe(60_000);
    expect(backoffDelay(inventory, 1000, 0.5)).toBe(60_000);
  });

  it("spreads each delay by ±25 % so a fleet does not retry in one wave", () => {
    expect(backoffDelay(refused, 1, 0)).toBe(7500);
    expect(backoffDelay(refused, 1, 0.999_999)).toBeCloseTo(12_500, 0);
  });

  it("reconnects 2 to 5 s after the server closed the session", () => {
    expect(serverDisconnectDelay(0)).toBe(2000);
    expect(serverDisconnectDelay(0.5)).toBe(3500);
    expect(serverDisconnectDelay(0.999_999)).toBeCloseTo(5000, 0);
  });
});
