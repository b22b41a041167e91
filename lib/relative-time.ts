// "5 s ago" / "3 min ago" / "in 2 min" beside every absolute time, and how often each needs a
// fresh clock so a table of them does not re-render every second once they are minutes old.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The distance from `now` to `at` in the largest whole unit: "5 s ago", "in 2 min", "3 d ago". */
export function formatRelativeTime(at: number, now: number): string {
  if (!Number.isFinite(at)) return "";
  const distance = Math.abs(now - at);
  if (distance < SECOND) return "just now";
  const [size, unit] = distance < MINUTE ? [SECOND, "s"] : distance < HOUR ? [MINUTE, "min"] : distance < DAY ? [HOUR, "h"] : [DAY, "d"];
  const amount = `${Math.floor(distance / size)} ${unit}`;
  return at <= now ? `${amount} ago` : `in ${amount}`;
}

/** How soon a time this far from now shows a different text: every second under a minute, then less often. */
export function refreshInterval(at: number, now: number): number {
  const distance = Math.abs(now - at);
  if (distance < MINUTE) return SECOND;
  if (distance < HOUR) return 10 * SECOND;
  return MINUTE;
}
