// Arrow keys across the heatmap's grid (groups of rows) and the filter that narrows it.
import { describe, expect, it } from "vitest";
import { groupsInOrder, layoutHeatmap, stepFrom, stepToMatch } from "../components/heatmap-layout.ts";
import { filterFromParams, filterSearch, matchesFilter, viewFromParams } from "../lib/heatmap-filter.ts";
import type { LiveHypervisor } from "../lib/live-state.ts";

const node = (name: string, group: string | null) => ({ name, group, online: true, cells: new Map() }) as unknown as LiveHypervisor;
// 4 per row at width 82 (18 px cells, 2 px gaps): group a has 6 cells (rows of 4 and 2), group b 3.
const nodes = [...[1, 2, 3, 4, 5, 6].map((i) => node(`a${i}`, "a")), ...[1, 2, 3].map((i) => node(`b${i}`, "b"))];
const layout = layoutHeatmap(nodes, 82);
const at = (name: string) => layout.cells.findIndex((cell) => cell.name === name);
const name = (index: number) => layout.cells[index]?.name ?? null;

describe("heatmap keyboard steps", () => {
  it("moves along rows and down columns, across group boundaries", () => {
    expect(layout.perRow).toBe(4);
    expect(name(stepFrom(layout, at("a1"), "right"))).toBe("a2");
    expect(name(stepFrom(layout, at("a2"), "down"))).toBe("a6");
    expect(name(stepFrom(layout, at("a4"), "down"))).toBe("a6"); // the short last row: its last cell
    expect(name(stepFrom(layout, at("a6"), "down"))).toBe("b2");
    expect(name(stepFrom(layout, at("b3"), "up"))).toBe("a6");
    expect(name(stepFrom(layout, at("b1"), "up"))).toBe("a5");
    expect(stepFrom(layout, at("a1"), "up")).toBe(-1);
    expect(stepFrom(layout, at("b3"), "right")).toBe(-1);
    expect(name(stepFrom(layout, at("b2"), "end"))).toBe("b3");
  });

  it("skips cells the filter hides", () => {
    const isMatch = (index: number) => ["a3", "b2"].includes(layout.cells[index].name);
    expect(name(stepToMatch(layout, at("a3"), "right", isMatch))).toBe("b2");
    expect(name(stepToMatch(layout, at("b3"), "home", isMatch))).toBe("a3");
    expect(stepToMatch(layout, at("b2"), "right", isMatch)).toBe(-1);
  });
});

describe("fleet order", () => {
  it("sorts groups by label and names with numbers as numbers, case aside", () => {
    const order = groupsInOrder(["n10", "n9", "N2", "n1a", "n02", "m100"].map((n) => node(n, n === "m100" ? null : "r")));
    expect(order.map(([label, members]) => [label, members.map((h) => h.name)])).toEqual([
      ["r", ["n1a", "N2", "n02", "n9", "n10"]],
      ["ungrouped", ["m100"]],
    ]);
  });
});

describe("heatmap filter", () => {
  it("round-trips through the URL and matches by name, state and group", () => {
    const filter = filterFromParams(new URLSearchParams("q=A1&state=failed&group=a"));
    expect(filter).toEqual({ q: "A1", state: "failed", group: "a" });
    expect(filterSearch(filter, "img-1")).toBe("?image=img-1&q=A1&state=failed&group=a");
    expect(filterSearch(filter, null, "table")).toBe("?q=A1&state=failed&group=a&view=table");
    expect(viewFromParams(new URLSearchParams("view=table"))).toBe("table");
    expect(viewFromParams(new URLSearchParams("view=nonsense"))).toBe("heatmap");
    expect(matchesFilter(node("a1", "a"), "failed", filter)).toBe(true);
    expect(matchesFilter(node("a1", "a"), "cached", filter)).toBe(false);
    expect(matchesFilter(node("a1", "b"), "failed", filter)).toBe(false);
    expect(matchesFilter(node("x1", null), "cached", { q: "", state: "", group: "-" })).toBe(true);
  });
});
