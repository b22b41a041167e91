"use client";
// The heatmap's data as a real table, for screen readers and copy-paste: one row per hypervisor
// (in the heatmap's order, with the same filter), a column per image. Virtualised by hand: rows
// have one height, so only those in view (plus overscan) are in the DOM and 50,000 stay smooth;
// spacer rows stand in for the rest, and aria-rowcount/aria-rowindex tell where a row sits.
import Link from "next/link";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { CellView } from "../protocol/ui";
import { formatBytes } from "../lib/api";
import type { LiveHypervisor } from "../lib/live-state";
import { plural } from "../lib/plural";
import { shortReason } from "../lib/rollout-labels";
import { rowWindow } from "../lib/table-window";
import { groupsInOrder } from "./heatmap-layout";
import { stateFill } from "./state-colors";

/** What the rows are first laid out with; the rendered row's height replaces it once measured. */
const ROW_HEIGHT = 33;
/** Rows scrolled before the rendered window moves: less than rowWindow's overscan (8). */
const ROW_STEP = 4;
const FIXED_COLUMNS = ["Name", "Group", "Online", "Free space"];

type Props = {
  hypervisors: LiveHypervisor[];
  /** The live map itself (mutated in place): no copy per delta. */
  byName: ReadonlyMap<string, LiveHypervisor>;
  /** Changes when hypervisors join or change group: the only time rows are re-sorted. */
  membership: number;
  images: { id: string; name: string; status: string }[];
  /** Names the filter keeps; null when no filter is on. */
  matching: Set<string> | null;
};

export function HeatmapTable({ hypervisors, byName, membership, images, matching }: Props) {
  const scrollRef = useRef<HTMLElement>(null);
  const headRef = useRef<HTMLTableSectionElement>(null);
  // The first row in view, in steps of ROW_STEP rows: scrolling re-renders only when the window
  // of rows moves by that much (the overscan covers the rows in between).
  const [scrollRow, setScrollRow] = useState(0);
  const [viewportHeight, setViewportHeight] = useState(600);
  const [sizes, setSizes] = useState({ row: ROW_HEIGHT, head: ROW_HEIGHT });
  // Deltas change states, rarely membership: sort only when names or groups change.
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed by membership, not by every delta's new array
  const ordered = useMemo(() => groupsInOrder(hypervisors).flatMap(([, members]) => members.map((h) => h.name)), [membership]);
  const rows = useMemo(() => (matching ? ordered.filter((name) => matching.has(name)) : ordered), [ordered, matching]);
  const scrollTop = scrollRow * sizes.row + sizes.head;
  const shown = rowWindow({ count: rows.length, rowHeight: sizes.row, scrollTop, viewportHeight, offset: sizes.head });
  const columns = FIXED_COLUMNS.length + images.length;

  useEffect(() => {
    const region = scrollRef.current;
    if (!region) return;
    const observer = new ResizeObserver(([entry]) => setViewportHeight(entry.contentRect.height));
    observer.observe(region);
    return () => observer.disconnect();
  }, []);

  // Measured once rows exist: the spacers must add up to what the skipped rows would be.
  useLayoutEffect(() => {
    const row = scrollRef.current?.querySelector<HTMLElement>("tr[data-row]");
    const head = headRef.current?.getBoundingClientRect().height;
    if (!row || !head) return;
    const measured = { row: row.getBoundingClientRect().height, head };
    if (Math.abs(measured.row - sizes.row) > 0.5 || Math.abs(measured.head - sizes.head) > 0.5) setSizes(measured);
  });

  return (
    <div className="heatmap-table-frame">
      <p role="status" className="muted" data-testid="table-count">
        {rows.length.toLocaleString("en-US")} of {plural(hypervisors.length, "hypervisor")}
      </p>
      <section
        ref={scrollRef}
        className="table-scroll heatmap-table-scroll"
        aria-label="Hypervisors table"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard to scroll
        tabIndex={0}
        onScroll={(event) => {
          const row = Math.max(0, Math.floor((event.currentTarget.scrollTop - sizes.head) / sizes.row));
          setScrollRow(row - (row % ROW_STEP));
        }}
      >
        <table className="heatmap-table" data-testid="heatmap-table" aria-rowcount={rows.length + 1}>
          <thead ref={headRef}>
            <tr aria-rowindex={1}>
              {FIXED_COLUMNS.map((label) => (
                <th key={label} scope="col">
                  {label}
                </th>
              ))}
              {images.map((image) => (
                <th key={image.id} scope="col">
                  {image.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.before > 0 && <Spacer height={shown.before} columns={columns} />}
            {rows.slice(shown.first, shown.end).map((name, index) => {
              const hypervisor = byName.get(name);
              return hypervisor ? (
                <HypervisorRow key={name} hypervisor={hypervisor} images={images} rowIndex={shown.first + index + 2} />
              ) : null;
            })}
            {shown.after > 0 && <Spacer height={shown.after} columns={columns} />}
          </tbody>
        </table>
      </section>
    </div>
  );
}

function Spacer({ height, columns }: { height: number; columns: number }) {
  return (
    // biome-ignore lint/a11y/noAriaHiddenOnFocusable: an empty row that only holds the skipped rows' height; nothing in it takes focus
    <tr aria-hidden="true" className="spacer" style={{ height }}>
      <td colSpan={columns} />
    </tr>
  );
}

function HypervisorRow({ hypervisor, images, rowIndex }: { hypervisor: LiveHypervisor; images: Props["images"]; rowIndex: number }) {
  return (
    <tr data-row={hypervisor.name} aria-rowindex={rowIndex}>
      <th scope="row">
        <Link href={`/hypervisors/${encodeURIComponent(hypervisor.name)}`} prefetch={false}>
          {hypervisor.name}
        </Link>
      </th>
      <td>{hypervisor.group ?? "—"}</td>
      <td>{hypervisor.online ? "online" : "offline"}</td>
      <td>{formatBytes(hypervisor.freeBytes)}</td>
      {images.map((image) => {
        const { state, text, title } = describeImageCell(hypervisor.cells.get(image.id), image.status !== "active");
        return (
          <td key={image.id} title={title}>
            <i className="state-swatch" style={{ background: stateFill(state) }} aria-hidden="true" />
            {text}
          </td>
        );
      })}
    </tr>
  );
}

/** "downloading 42%", "failed: fetch failed: connect ECONNREFUSED…", "stale" (a cached copy of an image gone from the source). */
export function describeImageCell(cell: CellView | undefined, isStale: boolean): { state: string; text: string; title?: string } {
  const state = cell?.state === "cached" && isStale ? "stale" : (cell?.state ?? "absent");
  if (cell?.state === "downloading" && cell.totalBytes)
    return { state, text: `downloading ${Math.floor((100 * Math.min(cell.bytes, cell.totalBytes)) / cell.totalBytes)}%` };
  if (cell?.state === "failed" && cell.error) return { state, text: `failed: ${shortReason(cell.error)}`, title: cell.error };
  return { state, text: state };
}
