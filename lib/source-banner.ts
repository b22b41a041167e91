// The Images page's warning when the last image-source sync failed: since when, why, and how old
// the list on screen is (times as everywhere else: ISO-like, local, with the offset). Pure, so the wording is tested without a browser.
import type { SourceSyncView } from "../protocol/api/images";
import { formatLocalTime } from "./format-local-time";

export function sourceBannerText(source: SourceSyncView | undefined): string | null {
  if (source?.state !== "degraded") return null;
  const reason = source.lastError ?? "unknown error";
  const shown = source.lastSyncedAt ? `showing the list from ${formatLocalTime(source.lastSyncedAt)}` : "no image list has been read yet";
  return `Image source unreachable since ${formatLocalTime(source.since)}: ${reason} — ${shown}`;
}
