// Where each hypervisor's cell goes: groups in name order, each a labelled block of rows.
import type { LiveHypervisor } from "../lib/live-state";

export type CellBox = { name: string; x: number; y: number };
export type GroupBox = { label: string; y: number; count: number };
export type HeatmapLayout = { cells: CellBox[]; groups: GroupBox[]; height: number; cellSize: number };

export const GAP = 2;
export const LABEL_HEIGHT = 18;

export function cellSizeFor(count: number): number {
  return count > 5000 ? 6 : count > 1500 ? 8 : count > 300 ? 12 : 18;
}

export function layoutHeatmap(hypervisors: LiveHypervisor[], width: number): HeatmapLayout {
  const cellSize = cellSizeFor(hypervisors.length);
  const pitch = cellSize + GAP;
  const perRow = Math.max(1, Math.floor((width - GAP) / pitch));
  const byGroup = new Map<string, LiveHypervisor[]>();
  for (const hypervisor of hypervisors) {
    const label = hypervisor.group ?? "ungrouped";
    byGroup.set(label, [...(byGroup.get(label) ?? []), hypervisor]);
  }
  const cells: CellBox[] = [];
  const groups: GroupBox[] = [];
  let y = 0;
  for (const label of [...byGroup.keys()].sort()) {
    const members = byGroup.get(label)!.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
    groups.push({ label, y, count: members.length });
    y += LABEL_HEIGHT;
    members.forEach((hypervisor, index) => {
      cells.push({ name: hypervisor.name, x: GAP + (index % perRow) * pitch, y: y + Math.floor(index / perRow) * pitch });
    });
    y += Math.ceil(members.length / perRow) * pitch + 8;
  }
  return { cells, groups, height: Math.max(y, 40), cellSize };
}

export function cellAt(layout: HeatmapLayout, x: number, y: number): CellBox | null {
  return layout.cells.find((cell) => x >= cell.x && x < cell.x + layout.cellSize && y >= cell.y && y < cell.y + layout.cellSize) ?? null;
}

export function cellsIn(layout: HeatmapLayout, a: { x: number; y: number }, b: { x: number; y: number }): string[] {
  const [left, right] = [Math.min(a.x, b.x), Math.max(a.x, b.x)];
  const [top, bottom] = [Math.min(a.y, b.y), Math.max(a.y, b.y)];
  return layout.cells
    .filter((cell) => cell.x + layout.cellSize >= left && cell.x <= right && cell.y + layout.cellSize >= top && cell.y <= bottom)
    .map((cell) => cell.name);
}
