// One colour table for cell states: the heatmap canvas, the legend and the badges all read it, and
// app/globals.css declares the same pairs as variables (test/state-colors.test.ts checks both agree
// and that each badge's text meets WCAG AA, 4.5:1, on its fill).
export const STATE_NAMES = ["absent", "pending", "downloading", "cached", "failed", "stale"] as const;
export type CellStateName = (typeof STATE_NAMES)[number];

/** Fill and the text drawn on it (badges); the same in the light and the dark scheme. */
export const stateColors: Record<CellStateName, { fill: string; text: string }> = {
  absent: { fill: "#2b333d", text: "#e6e9ed" },
  pending: { fill: "#8b929e", text: "#0b0f13" },
  downloading: { fill: "#e0a82e", text: "#1a1203" },
  cached: { fill: "#2fb36d", text: "#04110a" },
  failed: { fill: "#e5484d", text: "#1a0304" },
  stale: { fill: "#8e6bd8", text: "#0b0614" },
};

export function stateFill(state: string): string {
  return (stateColors as Record<string, { fill: string }>)[state]?.fill ?? stateColors.absent.fill;
}
