// The banner's wording (the browser test shows it on the page; here every case of the text).
import { describe, expect, it } from "vitest";
import { sourceBannerText } from "../lib/source-banner.ts";

const at = (hhmm: string, day = "2025-03-04") => new Date(`${day}T${hhmm}:00`).toISOString();
const ZONE = String.raw`UTC[+-]\d\d:\d\d`;
const failing = {
  kind: "glance" as const,
  state: "degraded" as const,
  lastError: "keystone rejected the credentials for user svc (401)",
  since: at("10:42"),
  lastSyncedAt: at("10:12"),
  lastFailedAt: at("10:55"),
};

describe("image source banner", () => {
  it("says since when, why, and how old the list on screen is", () => {
    expect(sourceBannerText(failing)).toMatch(
      new RegExp(
        `^Image source unreachable since 2025-03-04 10:42:00 ${ZONE}: keystone rejected the credentials for user svc \\(401\\) — showing the list from 2025-03-04 10:12:00 ${ZONE}$`,
      ),
    );
  });

  it("says when no list was ever read, and dates a list from another day", () => {
    expect(sourceBannerText({ ...failing, lastSyncedAt: null })).toMatch(/— no image list has been read yet$/);
    expect(sourceBannerText({ ...failing, lastSyncedAt: at("09:00", "2025-02-27") })).toMatch(
      new RegExp(`showing the list from 2025-02-27 09:00:00 ${ZONE}$`),
    );
  });

  it("shows nothing while the source is ok or unknown", () => {
    expect(sourceBannerText({ ...failing, state: "ok" })).toBeNull();
    expect(sourceBannerText(undefined)).toBeNull();
  });
});
