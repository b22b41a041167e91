// One clock for every relative time on the page: a single timer, scheduled for whichever shown
// time needs the soonest refresh (1 s while something is under a minute old, up to 60 s otherwise),
// rather than one interval per table cell.
import { refreshInterval } from "./relative-time";

const watchers = new Map<() => void, number>();
let now = Date.now();
let timer: ReturnType<typeof setTimeout> | null = null;
let dueAt = Number.POSITIVE_INFINITY;

/**
 * The clock's time: a snapshot for useSyncExternalStore, so it holds for a second between reads,
 * and a time shown for the first time between two slow ticks is still at most a second behind.
 */
export function clockNow(): number {
  if (Math.abs(Date.now() - now) >= 1000) now = Date.now(); // abs: the system clock may be set back
  return now;
}

/** Re-run `onTick` when the clock moves, as often as a time `at` (ms) needs; returns the unsubscribe. */
export function watchClock(at: number, onTick: () => void): () => void {
  watchers.set(onTick, at);
  schedule();
  return () => {
    watchers.delete(onTick);
    if (watchers.size === 0 && timer) {
      clearTimeout(timer);
      timer = null;
      dueAt = Number.POSITIVE_INFINITY;
    }
  };
}

function schedule(): void {
  const current = Date.now();
  let delay = Number.POSITIVE_INFINITY;
  for (const at of watchers.values()) delay = Math.min(delay, refreshInterval(at, current));
  if (!Number.isFinite(delay) || current + delay >= dueAt) return; // the pending tick comes soon enough
  if (timer) clearTimeout(timer);
  dueAt = current + delay;
  timer = setTimeout(tick, delay);
}

function tick(): void {
  timer = null;
  dueAt = Number.POSITIVE_INFINITY;
  now = Date.now();
  for (const onTick of [...watchers.keys()]) onTick();
  schedule();
}
