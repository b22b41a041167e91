// Which rows of a long table are in the DOM: rows have one fixed height, so the rows in view
// follow from the scroll offset alone (no measuring), plus a few either side for fast scrolls.

export type RowWindow = { first: number; end: number; before: number; after: number };

/**
 * Rows `[first, end)` to render for a viewport of `viewportHeight` px scrolled by `scrollTop`
 * over `count` rows of `rowHeight` px (starting `offset` px down, below the header), with
 * `overscan` extra rows each side; `before` and `after` are the heights that stand in for the rest.
 */
export function rowWindow(options: {
  count: number;
  rowHeight: number;
  scrollTop: number;
  viewportHeight: number;
  offset?: number;
  overscan?: number;
}): RowWindow {
  const { count, rowHeight, overscan = 8 } = options;
  const top = Math.max(0, options.scrollTop - (options.offset ?? 0));
  const inView = Math.ceil(Math.max(0, options.viewportHeight) / rowHeight) + 1;
  const first = Math.min(count, Math.max(0, Math.floor(top / rowHeight) - overscan));
  const end = Math.min(count, Math.floor(top / rowHeight) + inView + overscan);
  return { first, end: Math.max(first, end), before: first * rowHeight, after: (count - Math.max(first, end)) * rowHeight };
}
