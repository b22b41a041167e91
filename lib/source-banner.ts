// The Images page's warning when the last image-source sync failed: since when, why, and how old
// the list on screen is. Pure, so the wording is tested without a browser.
import type { SourceSyncView } from "../protocol/api/images";

export function sourceBannerText(source: SourceSyncView | undefined, now = new Date()): string | null {
  if (source?.state !== "degraded") return null;
  const reason = source.lastError ?? "unknown error";
  const shown = source.lastSyncedAt ? `showing the list from ${clockTime(source.lastSyncedAt, now)}` : "no image list has been read yet";
  return `Image source unreachable since ${clockTime(source.since, now)}: ${reason} — ${shown}`;
}

// 10:42 today; with the date when it was another day, so a week-old list does not look fresh.
function clockTime(iso: string, now: Date): string {
  const at = new Date(iso);
  const time = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
  return at.toDateString() === now.toDateString() ? time : `${at.toLocaleDateString()} ${time}`;
}
