import { describe, expect, it } from "vitest";
import { fleetCoverage } from "./image-coverage";

const node = (group: string | null, online: boolean, cells: Record<string, string>) => ({
  group,
  online,
  cells: new Map(Object.entries(cells).map(([imageId, state]) => [imageId, { state: state as "cached" }])),
});

describe("fleetCoverage", () => {
  const fleet = fleetCoverage([
    node("rack-b", true, { alpha: "cached", beta: "failed" }),
    node("rack-a", true, { alpha: "cached" }),
    node(null, false, { alpha: "cached", beta: "cached" }),
    node("rack-a", false, { alpha: "downloading" }),
  ]);

  it("counts every registered node, and the online ones apart", () => {
    expect([fleet.nodes, fleet.online]).toEqual([4, 2]);
  });

  it("counts only cached cells, per group, named groups first and the ungrouped last", () => {
    expect(fleet.byImage.get("alpha")).toEqual({
      cached: 3,
      groups: [
        { group: "rack-a", cached: 1, nodes: 2 },
        { group: "rack-b", cached: 1, nodes: 1 },
        { group: null, cached: 1, nodes: 1 },
      ],
    });
    expect(fleet.byImage.get("beta")?.cached).toBe(1);
    expect(fleet.byImage.get("gamma")).toBeUndefined();
    expect(fleet.none.groups.map((group) => group.cached)).toEqual([0, 0, 0]);
  });
});
