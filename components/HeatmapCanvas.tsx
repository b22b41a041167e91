"use client";
// One cell per hypervisor on a canvas (smooth at 10,000), grouped by topology, coloured by
// the selected image's state; hover for details, click for the node page, drag to select.
// A canvas is one opaque picture to assistive technology, so it carries a summary (aria-label),
// takes focus, moves a drawn focus ring with the arrow keys, opens a node with Enter and says
// which node is focused through a live region.
import { useEffect, useId, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { formatBytes } from "../lib/api";
import { cellState } from "../lib/heatmap-filter";
import type { LiveHypervisor } from "../lib/live-state";
import { shortReason } from "../lib/rollout-labels";
import { readTheme, subscribeTheme } from "../lib/theme";
import { stateColors, stateFill } from "./state-colors";
import { cellAt, cellsIn, layoutHeatmap, LABEL_HEIGHT, stepToMatch, type HeatmapLayout, type Step } from "./heatmap-layout";

const STATE_CODES: Record<string, number> = { absent: 0, pending: 1, downloading: 2, cached: 3, failed: 4, stale: 5 };

type Props = {
  hypervisors: LiveHypervisor[];
  /** The live map itself (mutated in place; `version` says when): no copy of 50,000 entries per delta. */
  byName: ReadonlyMap<string, LiveHypervisor>;
  /** Changes when hypervisors join or change group: the only time the layout is recomputed. */
  membership: number;
  imageId: string | null;
  isStale: boolean;
  version: number;
  selected: Set<string>;
  /** Names the filter keeps; null when no filter is on. Others are drawn dimmed and skipped by the keys. */
  matching: Set<string> | null;
  /** What the picture shows, for screen readers: counts per state. */
  summary: string;
  onSelect(names: string[]): void;
  onOpen(name: string): void;
};

const KEY_STEPS: Record<string, Step> = {
  ArrowLeft: "left",
  ArrowRight: "right",
  ArrowUp: "up",
  ArrowDown: "down",
  Home: "home",
  End: "end",
};

export function HeatmapCanvas(props: Props) {
  const { hypervisors, byName, membership, imageId, isStale, version, selected, matching, summary, onSelect, onOpen } = props;
  const hintId = useId();
  const [focusIndex, setFocusIndex] = useState(-1);
  const [isFocused, setFocused] = useState(false);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(1200);
  const [hover, setHover] = useState<{ name: string; x: number; y: number } | null>(null);
  const [drag, setDrag] = useState<{ from: { x: number; y: number }; to: { x: number; y: number } } | null>(null);
  // Deltas change states, rarely membership: re-lay out only when names or groups change.
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed by membership, not by every delta's new array
  const layout = useMemo(() => layoutHeatmap(hypervisors, width), [membership, width]);
  // Labels take the page's colours, read at each full paint: a theme switch forces one.
  const theme = useSyncExternalStore(subscribeTheme, readTheme, () => "dark" as const);
  /** What each cell (by index in layout.cells) shows on the canvas now, so a delta repaints only what it changed. */
  const painted = useRef<{ layout: HeatmapLayout | null; theme: string; width: number; ratio: number; looks: Int32Array }>({
    layout: null,
    theme: "",
    width: 0,
    ratio: 0,
    looks: new Int32Array(0),
  });

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas?.parentElement) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry.contentRect.width)));
    observer.observe(canvas.parentElement);
    return () => observer.disconnect();
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: version is the repaint signal (deltas mutate the live map in place)
  useEffect(() => {
    const frame = requestAnimationFrame(() => {
      const canvas = canvasRef.current;
      const context = canvas?.getContext("2d");
      if (!canvas || !context) return;
      const ratio = window.devicePixelRatio || 1;
      const last = painted.current;
      // A drag rectangle is drawn over the cells: repaint everything while one is (or was) shown.
      const isFullPaint =
        last.layout !== layout ||
        last.theme !== theme ||
        last.width !== width ||
        last.ratio !== ratio ||
        drag !== null ||
        last.looks.length === 0;
      if (isFullPaint) {
        if (canvas.width !== width * ratio || canvas.height !== layout.height * ratio) {
          canvas.width = width * ratio; // resets the context and clears
          canvas.height = layout.height * ratio;
          canvas.style.height = `${layout.height}px`;
        }
        context.setTransform(ratio, 0, 0, ratio, 0, 0);
        context.clearRect(0, 0, width, layout.height);
        context.font = "12px system-ui, sans-serif";
        // Labels in the page's muted text colour, so they stay readable in the light scheme too.
        context.fillStyle = getComputedStyle(canvas).getPropertyValue("--muted").trim() || "#8b96a3";
        context.globalAlpha = 1;
        for (const group of layout.groups) context.fillText(`${group.label} (${group.count})`, 2, group.y + LABEL_HEIGHT - 5);
        painted.current = { layout, theme, width, ratio, looks: new Int32Array(layout.cells.length).fill(-1) };
      }
      const size = layout.cellSize;
      const looks = painted.current.looks;
      const changed: Paint[] = [];
      layout.cells.forEach((box, index) => {
        const hypervisor = byName.get(box.name)!;
        const cell = imageId ? hypervisor.cells.get(imageId) : undefined;
        const state = cellState(hypervisor, imageId, isStale);
        const filled =
          state === "downloading" && cell?.totalBytes
            ? Math.max(1, Math.round((size * Math.min(cell.bytes, cell.totalBytes)) / cell.totalBytes))
            : 0;
        const isSelected = selected.has(box.name);
        const isDimmed = matching !== null && !matching.has(box.name);
        // state, fill height (≤ 18 px), online, selected, dimmed: one number to compare.
        const look =
          (STATE_CODES[state] ?? 7) | (filled << 3) | (hypervisor.online ? 256 : 0) | (isSelected ? 512 : 0) | (isDimmed ? 1024 : 0);
        const before = looks[index];
        if (before === look) return;
        looks[index] = look;
        changed.push({
          box,
          state,
          filled,
          isOnline: hypervisor.online,
          isSelected,
          isDimmed,
          wasSelected: before >= 0 && (before & 512) !== 0,
        });
      });
      paintCells(context, changed, size);
      context.globalAlpha = 1;
      if (drag) {
        context.strokeStyle = getComputedStyle(canvas).getPropertyValue("--accent").trim() || "#4aa3ff";
        context.setLineDash([4, 3]);
        context.strokeRect(drag.from.x, drag.from.y, drag.to.x - drag.from.x, drag.to.y - drag.from.y);
        context.setLineDash([]);
        painted.current.looks = new Int32Array(0); // the next paint (drag over or moved) starts clean
      }
    });
    return () => cancelAnimationFrame(frame);
  }, [layout, theme, byName, imageId, isStale, version, selected, matching, drag, width]);

  const isMatch = (index: number) => matching === null || matching.has(layout.cells[index].name);
  const focused = focusIndex >= 0 && focusIndex < layout.cells.length ? layout.cells[focusIndex] : undefined;
  const onKeyDown = (event: React.KeyboardEvent) => {
    if (event.key === "Enter" && focused) return onOpen(focused.name);
    const step = KEY_STEPS[event.key];
    if (!step) return;
    event.preventDefault(); // the arrows move the ring, not the page
    const next = stepToMatch(layout, focused ? focusIndex : -1, focused ? step : "home", isMatch);
    if (next >= 0) setFocusIndex(next);
  };

  const point = (event: React.MouseEvent) => {
    const rect = canvasRef.current!.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  };
  // The tooltip follows the mouse, or else the keyboard's focus ring.
  const shown = hover ?? (isFocused && focused ? { name: focused.name, x: focused.x, y: focused.y + layout.cellSize } : null);
  const hovered = shown ? byName.get(shown.name) : undefined;
  const hoveredCell = hovered && imageId ? hovered.cells.get(imageId) : undefined;

  return (
    <div style={{ position: "relative" }} className="heatmap-frame">
      <canvas
        ref={canvasRef}
        data-testid="heatmap"
        role="img"
        aria-label={summary}
        aria-describedby={hintId}
        tabIndex={0}
        style={{ width: "100%", display: "block", cursor: "crosshair" }}
        onFocus={() => {
          setFocused(true);
          if (!focused || !isMatch(focusIndex)) setFocusIndex(stepToMatch(layout, -1, "home", isMatch));
        }}
        onBlur={() => setFocused(false)}
        onKeyDown={onKeyDown}
        onMouseDown={(event) => setDrag({ from: point(event), to: point(event) })}
        onMouseMove={(event) => {
          const p = point(event);
          if (drag) setDrag({ ...drag, to: p });
          const box = cellAt(layout, p.x, p.y);
          setHover(box ? { name: box.name, x: p.x, y: p.y } : null);
        }}
        onMouseLeave={() => setHover(null)}
        onMouseUp={(event) => {
          if (!drag) return;
          const p = point(event);
          const moved = Math.abs(p.x - drag.from.x) + Math.abs(p.y - drag.from.y) > 4;
          setDrag(null);
          if (moved) return onSelect(cellsIn(layout, drag.from, p));
          const box = cellAt(layout, p.x, p.y);
          if (box) onOpen(box.name);
        }}
      />
      <span id={hintId} className="visually-hidden">
        Arrow keys move between hypervisors, Enter opens the focused one.
      </span>
      {isFocused && focused && (
        <div
          className="heatmap-focus"
          data-testid="heatmap-focus"
          style={{ left: focused.x + 8, top: focused.y + 8, width: layout.cellSize + 4, height: layout.cellSize + 4 }}
        />
      )}
      <div aria-live="polite" className="visually-hidden" data-testid="heatmap-announce">
        {isFocused && focused ? describeCell(byName.get(focused.name), imageId, isStale) : ""}
      </div>
      {hovered && shown && (
        <div className="tooltip" role="tooltip" style={{ left: shown.x + 14, top: shown.y + 14 }}>
          <strong>{hovered.name}</strong> {hovered.online ? "online" : "offline"}
          <br />
          {hovered.group ?? "ungrouped"} · free {formatBytes(hovered.freeBytes)}
          <br />
          {hoveredCell
            ? `${hoveredCell.state}${hoveredCell.state === "downloading" && hoveredCell.totalBytes ? ` ${((100 * hoveredCell.bytes) / hoveredCell.totalBytes).toFixed(0)}%` : ""}`
            : "absent"}
          {hoveredCell?.error && (
            <div className="error">
              {shortReason(hoveredCell.error)} <span className="muted">(full text on the node page)</span>
            </div>
          )}
        </div>
      )}
    </div>
  );
}

/** "node-7, failed, online, group rack-a": what the live region says for the focused cell. */
function describeCell(hypervisor: LiveHypervisor | undefined, imageId: string | null, isStale: boolean): string {
  if (!hypervisor) return "";
  const state = cellState(hypervisor, imageId, isStale);
  return `${hypervisor.name}, ${state}, ${hypervisor.online ? "online" : "offline"}, ${hypervisor.group ? `group ${hypervisor.group}` : "no group"}`;
}

type Paint = {
  box: { name: string; x: number; y: number };
  state: string;
  filled: number;
  isOnline: boolean;
  isSelected: boolean;
  isDimmed: boolean;
  wasSelected: boolean;
};

/**
 * Paints cells grouped by colour: setting fillStyle parses a colour, and one per cell per call
 * made a delta of 5,000 cells a 50 ms frame. Pixels are those of absent-then-state fills.
 */
function paintCells(context: CanvasRenderingContext2D, cells: Paint[], size: number): void {
  // Layers in order; offline cells are translucent, so they are cleared and get both fills.
  const layers = new Map<string, { alpha: number; color: string; rects: number[] }>();
  const fill = (layer: number, alpha: number, color: string, x: number, y: number, width: number, height: number) => {
    const key = `${layer}|${alpha}|${color}`;
    const entry = layers.get(key) ?? { alpha, color, rects: [] };
    entry.rects.push(x, y, width, height);
    layers.set(key, entry);
  };
  for (const { box, state, filled, isOnline, isDimmed, wasSelected } of cells) {
    if (wasSelected) context.clearRect(box.x - 1, box.y - 1, size + 2, size + 2); // the old outline
    const color = filled > 0 ? stateColors.downloading.fill : stateFill(state);
    if (isDimmed) {
      // Filtered out: a faint trace keeps the fleet's shape without competing with the matches.
      context.clearRect(box.x, box.y, size, size);
      fill(0, 0.15, color, box.x, box.y, size, size);
    } else if (isOnline) {
      if (filled > 0 && filled < size) fill(0, 1, stateColors.absent.fill, box.x, box.y, size, size - filled);
      fill(0, 1, color, box.x, box.y + size - (filled || size), size, filled || size);
    } else {
      context.clearRect(box.x, box.y, size, size);
      fill(0, 0.35, stateColors.absent.fill, box.x, box.y, size, size);
      fill(1, 0.35, color, box.x, box.y + size - (filled || size), size, filled || size);
    }
  }
  for (const key of [...layers.keys()].sort()) {
    const { alpha, color, rects } = layers.get(key)!;
    context.globalAlpha = alpha;
    context.fillStyle = color;
    for (let i = 0; i < rects.length; i += 4) context.fillRect(rects[i], rects[i + 1], rects[i + 2], rects[i + 3]);
  }
  context.globalAlpha = 1;
  context.strokeStyle = "#4aa3ff";
  for (const { box, isSelected } of cells) if (isSelected) context.strokeRect(box.x - 0.5, box.y - 0.5, size + 1, size + 1);
}
