// Durations and rates as operators read them: "45 s", "3.5 min", "1 h 20 min".

export function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "—";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${(seconds / 60).toFixed(1)} min`;
  const hours = Math.floor(seconds / 3600);
  return `${hours} h ${Math.round((seconds - hours * 3600) / 60)} min`;
}

/** From `from` to `to` (or now, while it runs). */
export function formatElapsed(from: string, to: string | null, now = Date.now()): string {
  return formatSeconds(Math.max(0, ((to ? new Date(to).getTime() : now) - new Date(from).getTime()) / 1000));
}
