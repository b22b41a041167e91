"use client";
// One cell per hypervisor on a canvas (smooth at 10,000), grouped by topology, coloured by
// the selected image's state; hover for details, click for the node page, drag to select.
import { useEffect, useMemo, useRef, useState } from "react";
import { formatBytes } from "../lib/api";
import type { LiveHypervisor } from "../lib/live-state";
import { cellAt, cellsIn, layoutHeatmap, LABEL_HEIGHT } from "./heatmap-layout";

const COLORS: Record<string, string> = {
  absent: "#2b333d",
  pending: "#6b7280",
  downloading: "#e0a82e",
  cached: "#2fb36d",
  failed: "#e5484d",
  stale: "#8e6bd8",
};

type Props = {
  hypervisors: LiveHypervisor[];
  imageId: string | null;
  isStale: boolean;
  version: number;
  selected: Set<string>;
  onSelect(names: string[]): void;
  onOpen(name: string): void;
};

export function HeatmapCanvas({ hypervisors, imageId, isStale, version, selected, onSelect, onOpen }: Props) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(1200);
  const [hover, setHover] = useState<{ name: string; x: number; y: number } | null>(null);
  const [drag, setDrag] = useState<{ from: { x: number; y: number }; to: { x: number; y: number } } | null>(null);
  const layout = useMemo(() => layoutHeatmap(hypervisors, width), [hypervisors, width]);
  const byName = useMemo(() => new Map(hypervisors.map((h) => [h.name, h])), [hypervisors]);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas?.parentElement) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry.contentRect.width)));
    observer.observe(canvas.parentElement);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const frame = requestAnimationFrame(() => {
      const canvas = canvasRef.current;
      const context = canvas?.getContext("2d");
      if (!canvas || !context) return;
      const ratio = window.devicePixelRatio || 1;
      canvas.width = width * ratio;
      canvas.height = layout.height * ratio;
      canvas.style.height = `${layout.height}px`;
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.clearRect(0, 0, width, layout.height);
      context.font = "12px system-ui, sans-serif";
      context.fillStyle = "#8b96a3";
      for (const group of layout.groups) context.fillText(`${group.label} (${group.count})`, 2, group.y + LABEL_HEIGHT - 5);
      const size = layout.cellSize;
      for (const box of layout.cells) {
        const hypervisor = byName.get(box.name)!;
        const cell = imageId ? hypervisor.cells.get(imageId) : undefined;
        const state = cell?.state === "cached" && isStale ? "stale" : (cell?.state ?? "absent");
        context.globalAlpha = hypervisor.online ? 1 : 0.35;
        context.fillStyle = COLORS.absent;
        context.fillRect(box.x, box.y, size, size);
        if (state === "downloading" && cell?.totalBytes) {
          const filled = Math.max(1, Math.round((size * Math.min(cell.bytes, cell.totalBytes)) / cell.totalBytes));
          context.fillStyle = COLORS.downloading;
          context.fillRect(box.x, box.y + size - filled, size, filled);
        } else {
          context.fillStyle = COLORS[state] ?? COLORS.absent;
          context.fillRect(box.x, box.y, size, size);
        }
        if (selected.has(box.name)) {
          context.globalAlpha = 1;
          context.strokeStyle = "#4aa3ff";
          context.strokeRect(box.x - 0.5, box.y - 0.5, size + 1, size + 1);
        }
      }
      context.globalAlpha = 1;
      if (drag) {
        context.strokeStyle = "#4aa3ff";
        context.setLineDash([4, 3]);
        context.strokeRect(drag.from.x, drag.from.y, drag.to.x - drag.from.x, drag.to.y - drag.from.y);
        context.setLineDash([]);
      }
    });
    return () => cancelAnimationFrame(frame);
  }, [layout, byName, imageId, isStale, version, selected, drag, width]);

  const point = (event: React.MouseEvent) => {
    const rect = canvasRef.current!.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  };
  const hovered = hover ? byName.get(hover.name) : undefined;
  const hoveredCell = hovered && imageId ? hovered.cells.get(imageId) : undefined;

  return (
    <div style={{ position: "relative" }} className="heatmap-frame">
      <canvas
        ref={canvasRef}
        data-testid="heatmap"
        style={{ width: "100%", display: "block", cursor: "crosshair" }}
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
      {hovered && hover && (
        <div className="tooltip" role="tooltip" style={{ left: hover.x + 14, top: hover.y + 14 }}>
          <strong>{hovered.name}</strong> {hovered.online ? "online" : "offline"}
          <br />
          {hovered.group ?? "ungrouped"} · free {formatBytes(hovered.freeBytes)}
          <br />
          {hoveredCell ? `${hoveredCell.state}${hoveredCell.state === "downloading" && hoveredCell.totalBytes ? ` ${((100 * hoveredCell.bytes) / hoveredCell.totalBytes).toFixed(0)}%` : ""}` : "absent"}
          {hoveredCell?.error && <div className="error">{hoveredCell.error}</div>}
        </div>
      )}
    </div>
  );
}
