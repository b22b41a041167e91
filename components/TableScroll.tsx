// A wide table scrolls inside its own box on a phone, not the page. The box is a focusable,
// named region so keyboard users can scroll it too (axe: scrollable-region-focusable).
// With asCards, at phone width each row becomes a card instead (app/screens.css): every <td> then
// carries data-label, its column's header, shown before the cell.
import type { ReactNode } from "react";

export function TableScroll({ label, asCards = false, children }: { label: string; asCards?: boolean; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard to scroll
    <section className={asCards ? "table-scroll card-table" : "table-scroll"} aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}
