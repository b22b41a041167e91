"use client";
// A moment as operators compare it across logs (ISO-like, local zone with offset) and how long ago
// it was, kept fresh by the shared clock; the machine-readable instant is in dateTime.
import { useCallback, useSyncExternalStore } from "react";
import { formatLocalTime } from "../lib/format-local-time";
import { formatRelativeTime } from "../lib/relative-time";
import { clockNow, watchClock } from "../lib/shared-clock";

export function LocalTime({ iso, testId }: { iso: string; testId?: string }) {
  const at = Date.parse(iso);
  const subscribe = useCallback((onTick: () => void) => watchClock(at, onTick), [at]);
  // The snapshot is the text itself: a tick re-renders only the times whose wording changed.
  const relative = useSyncExternalStore(
    subscribe,
    () => formatRelativeTime(at, clockNow()),
    () => "",
  );
  const absolute = formatLocalTime(iso);
  return (
    <time dateTime={iso} title={absolute} className="local-time" data-testid={testId}>
      <span className="absolute-time">{absolute}</span>
      {relative && <span className="relative-time"> · {relative}</span>}
    </time>
  );
}
