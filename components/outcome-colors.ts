// Outcome badges on the Audit page. Dark text on each colour: every pair meets WCAG AA (4.5:1)
// for 12 px text (test/outcome-colors.test.ts checks the ratios).
import { stateColors } from "./state-colors";

// The same pairs as the cell states (components/state-colors.ts): one palette across the dashboard.
const pair = ({ fill, text }: { fill: string; text: string }) => ({ background: fill, color: text });
export const outcomeColors = {
  ok: pair(stateColors.cached),
  denied: pair(stateColors.downloading),
  failed: pair(stateColors.failed),
} as const;

export const unknownOutcomeColors = { background: "#8b96a3", color: "#0b0f13" } as const;

export function outcomeStyle(outcome: string): { background: string; color: string } {
  return (outcomeColors as Record<string, { background: string; color: string }>)[outcome] ?? unknownOutcomeColors;
}
