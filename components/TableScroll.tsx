// A wide table scrolls inside its own box on a phone, not the page. The box is a focusable,
// named region so keyboard users can scroll it too (axe: scrollable-region-focusable).
import type { ReactNode } from "react";

export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard to scroll
    <section className="table-scroll" aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}
