// The rollout page's words for a node and a duration: retries show the attempt and a short reason.
import { describe, expect, it } from "vitest";
import { formatElapsed, formatSeconds } from "../lib/format-duration.ts";
import { shortReason, targetLabel } from "../lib/rollout-labels.ts";

describe("rollout labels", () => {
  it("says a pending node after a failed attempt is retrying, with the attempt and a short reason", () => {
    expect(targetLabel({ state: "pending", attempts: 2, error: "FETCH_FAILED: connect ECONNREFUSED 10.0.0.1:3128" }, 3)).toBe(
      "retrying 2/3: FETCH_FAILED: connect ECONNREFUSED 10.0.0.1:3128",
    );
    expect(targetLabel({ state: "pending", attempts: 0, error: null }, 3)).toBe("pending");
    expect(targetLabel({ state: "failed", attempts: 3, error: "HTTP_ERROR: 503" }, 3)).toBe("failed after 3");
    expect(targetLabel({ state: "downloading", attempts: 2, error: null }, 3)).toBe("downloading (attempt 2/3)");
    expect(targetLabel({ state: "done", attempts: 1, error: null }, 3)).toBe("done");
  });

  it("keeps the first line of a reason, at most 60 characters", () => {
    expect(shortReason("TIMEOUT: no byte for 600 s\nstack…")).toBe("TIMEOUT: no byte for 600 s");
    expect(shortReason("x".repeat(61))).toBe(`${"x".repeat(59)}…`);
    expect(shortReason("x".repeat(60))).toBe("x".repeat(60));
  });

  it("formats durations for seconds, minutes and hours", () => {
    expect(formatSeconds(null)).toBe("—");
    expect(formatSeconds(42.4)).toBe("42 s");
    expect(formatSeconds(300)).toBe("5.0 min");
    expect(formatSeconds(2 * 3600 + 20 * 60)).toBe("2 h 20 min");
    expect(formatElapsed("2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z")).toBe("60 s");
  });
});
