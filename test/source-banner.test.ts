// The banner's wording (the browser test shows it on the page; here every case of the text).
import { describe, expect, it } from "vitest";
import { sourceBannerText } from "../lib/source-banner.ts";

const at = (hhmm: string, day = "2025-03-04") => new Date(`${day}T${hhmm}:00`).toISOString();
const now = new Date(`2025-03-04T11:00:00`);
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
    expect(sourceBannerText(failing, now)).toBe(
      "Image source unreachable since 10:42: keystone rejected the credentials for user svc (401) — showing the list from 10:12",
    );
  });

  it("says when no list was ever read, and dates a list from another day", () => {
    expect(sourceBannerText({ ...failing, lastSyncedAt: null }, now)).toMatch(/— no image list has been read yet$/);
    expect(sourceBannerText({ ...failing, lastSyncedAt: at("09:00", "2025-02-27") }, now)).toMatch(/showing the list from \S+ 09:00$/);
  });

  it("shows nothing while the source is ok or unknown", () => {
    expect(sourceBannerText({ ...failing, state: "ok" }, now)).toBeNull();
    expect(sourceBannerText(undefined, now)).toBeNull();
  });
});
