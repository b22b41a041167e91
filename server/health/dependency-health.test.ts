import { describe, expect, it } from "vitest";
import { DependencyHealth, publicMessage } from "./dependency-health.ts";

function clock(start = Date.parse("2025-01-01T10:00:00Z")) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe("dependency health", () => {
  it("keeps since at the first failure of a streak and lastError after recovery", () => {
    const time = clock();
    const health = new DependencyHealth(["database", "imageSource"], { now: time.now });
    health.markOk("imageSource");
    time.advance(60_000);
    health.markFailed("imageSource", new Error("keystone rejected the credentials"));
    time.advance(60_000);
    health.markFailed("imageSource", new Error("keystone is unreachable"));
    expect(health.get("imageSource")).toEqual({
      state: "degraded",
      lastError: "keystone is unreachable",
      since: "2025-01-01T10:01:00.000Z",
      lastOkAt: "2025-01-01T10:00:00.000Z",
      lastFailedAt: "2025-01-01T10:02:00.000Z",
    });
    time.advance(60_000);
    health.markOk("imageSource");
    expect(health.get("imageSource")).toMatchObject({
      state: "ok",
      since: "2025-01-01T10:03:00.000Z",
      lastError: "keystone is unreachable",
    });
  });

  it("is not ok only while the database is degraded; a failing image source keeps it ok", () => {
    const health = new DependencyHealth(["database", "imageSource"]);
    health.markFailed("imageSource", "Glance answered 500");
    expect(health.report()).toMatchObject({ ok: true, ready: true, dependencies: { imageSource: { state: "degraded" } } });
    health.markFailed("database", new Error("the database is unreachable: connection refused"));
    expect(health.report().ok).toBe(false);
    health.markOk("database");
    expect(health.report().ok).toBe(true);
  });

  it("ignores dependencies it was not built with (no Keystone configured)", () => {
    const health = new DependencyHealth(["database", "imageSource"]);
    health.markFailed("keystone", "nope");
    expect(Object.keys(health.report().dependencies)).toEqual(["database", "imageSource"]);
  });

  it("masks passwords in URLs and bounds the message: the health body is public", () => {
    expect(publicMessage(new Error("cannot connect to postgres://precache:s3cret@db:5432/precache"))).toBe(
      "cannot connect to postgres://precache:***@db:5432/precache",
    );
    expect(publicMessage("x".repeat(2000))).toHaveLength(500);
  });
});
