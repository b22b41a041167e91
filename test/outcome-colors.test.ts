// WCAG 2.x contrast of the audit outcome badges (normal-size text: AA needs 4.5:1).
import { describe, expect, it } from "vitest";
import { outcomeColors, unknownOutcomeColors } from "../components/outcome-colors.ts";
import { formatLocalTime, localInputToIso } from "../lib/format-local-time.ts";
import { contrast } from "./support/contrast.ts";

describe("audit page presentation", () => {
  it.each(Object.entries({ ...outcomeColors, unknown: unknownOutcomeColors }))(
    "the %s badge meets WCAG AA",
    (_name, { background, color }) => {
      expect(contrast(background, color)).toBeGreaterThanOrEqual(4.5);
    },
  );

  it("shows times in local ISO-like form with the zone offset", () => {
    const zone = process.env.TZ;
    try {
      process.env.TZ = "Europe/Zurich";
      expect(formatLocalTime("2026-11-30T01:12:55.123Z")).toBe("2026-11-30 02:12:55 UTC+01:00");
      expect(formatLocalTime("2026-07-01T00:00:00Z")).toBe("2026-07-01 02:00:00 UTC+02:00");
      process.env.TZ = "America/St_Johns";
      expect(formatLocalTime("2026-01-15T12:00:00Z")).toBe("2026-01-15 08:30:00 UTC-03:30");
      expect(localInputToIso("2026-01-15T08:30")).toBe("2026-01-15T12:00:00.000Z");
      expect(localInputToIso("")).toBeUndefined();
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});
