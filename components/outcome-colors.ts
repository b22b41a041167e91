// Outcome badges on the Audit page. Dark text on each colour: every pair meets WCAG AA (4.5:1)
// for 12 px text (test/outcome-colors.test.ts checks the ratios).
export const outcomeColors = {
  ok: { background: "#2fb36d", color: "#04110a" },
  denied: { background: "#e0a82e", color: "#1a1203" },
  failed: { background: "#e5484d", color: "#1a0304" },
} as const;

export const unknownOutcomeColors = { background: "#8b96a3", color: "#0b0f13" } as const;

export function outcomeStyle(outcome: string): { background: string; color: string } {
  return (outcomeColors as Record<string, { background: string; color: string }>)[outcome] ?? unknownOutcomeColors;
}
