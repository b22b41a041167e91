// Where each hypervisor's cell goes: groups in name order, each a labelled block of rows.
import type { LiveHypervisor } from "../lib/live-state";

export type CellBox = { name: string; x: number; y: number };
/** `top` is where the group's first row of cells starts; its cells are `cells[first .. first + count)`. */
export type GroupBox = { label: string; y: number; count: number; top: number; first: number };
export type HeatmapLayout = { cells: CellBox[]; groups: GroupBox[]; height: number; cellSize: number; perRow: number };

export const GAP = 2;
export const LABEL_HEIGHT = 18;

const byNumericName = new Intl.Collator(undefined, { numeric: true }).compare;

export function cellSizeFor(count: number): number {
  return count > 5000 ? 6 : count > 1500 ? 8 : count > 300 ? 12 : 18;
}

/** What the layout depends on (names and groups, not cell states): equal keys, equal layouts. */
export function layoutKey(hypervisors: LiveHypervisor[]): string {
  return hypervisors.map((hypervisor) => `${hypervisor.name}\u0001${hypervisor.group ?? ""}`).join("\u0000");
}

export function layoutHeatmap(hypervisors: LiveHypervisor[], width: number): HeatmapLayout {
  const cellSize = cellSizeFor(hypervisors.length);
  const pitch = cellSize + GAP;
  const perRow = Math.max(1, Math.floor((width - GAP) / pitch));
  const byGroup = new Map<string, LiveHypervisor[]>();
  for (const hypervisor of hypervisors) {
    const label = hypervisor.group ?? "ungrouped";
    const members = byGroup.get(label);
    if (members) members.push(hypervisor);
    else byGroup.set(label, [hypervisor]);
  }
  const cells: CellBox[] = [];
  const groups: GroupBox[] = [];
  let y = 0;
  for (const label of [...byGroup.keys()].sort()) {
    const members = byGroup.get(label)!.sort((a, b) => byNumericName(a.name, b.name));
    const top = y + LABEL_HEIGHT;
    groups.push({ label, y, count: members.length, top, first: cells.length });
    members.forEach((hypervisor, index) => {
      cells.push({ name: hypervisor.name, x: GAP + (index % perRow) * pitch, y: top + Math.floor(index / perRow) * pitch });
    });
    y = top + Math.ceil(members.length / perRow) * pitch + 8;
  }
  return { cells, groups, height: Math.max(y, 40), cellSize, perRow };
}

/** The cell under a point, from the grid arithmetic (the mouse moves often; 10,000 cells are many). */
export function cellAt(layout: HeatmapLayout, x: number, y: number): CellBox | null {
  const pitch = layout.cellSize + GAP;
  const column = Math.floor((x - GAP) / pitch);
  if (column < 0 || column >= layout.perRow || x - GAP - column * pitch >= layout.cellSize) return null;
  for (const group of layout.groups) {
    if (y < group.top) continue;
    const row = Math.floor((y - group.top) / pitch);
    const index = row * layout.perRow + column;
    if (index >= group.count) continue;
    return y - group.top - row * pitch < layout.cellSize ? layout.cells[group.first + index] : null;
  }
  return null;
}

export function cellsIn(layout: HeatmapLayout, a: { x: number; y: number }, b: { x: number; y: number }): string[] {
  const [left, right] = [Math.min(a.x, b.x), Math.max(a.x, b.x)];
  const [top, bottom] = [Math.min(a.y, b.y), Math.max(a.y, b.y)];
  return layout.cells
    .filter((cell) => cell.x + layout.cellSize >= left && cell.x <= right && cell.y + layout.cellSize >= top && cell.y <= bottom)
    .map((cell) => cell.name);
}
