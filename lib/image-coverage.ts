// Where each image is now, from the live store: nodes whose cell is cached (verified on disk), of
// all registered hypervisors, per group. Not the last rollout's tally, which cleanup outdates.
import type { CellView, HypervisorHeader } from "../protocol/ui";

export type GroupCoverage = { group: string | null; cached: number; nodes: number };
export type ImageCoverage = { cached: number; groups: GroupCoverage[] };
export type FleetCoverage = {
  /** Every registered hypervisor, online or not. */
  nodes: number;
  online: number;
  byImage: Map<string, ImageCoverage>;
  /** Coverage of an image no node holds: 0 of every group. */
  none: ImageCoverage;
};

type Node = Pick<HypervisorHeader, "group" | "online"> & { cells: Map<string, Pick<CellView, "state">> };

export function fleetCoverage(hypervisors: Iterable<Node>): FleetCoverage {
  const groupSizes = new Map<string | null, number>();
  const cachedBy = new Map<string, Map<string | null, number>>();
  let nodes = 0;
  let online = 0;
  for (const hypervisor of hypervisors) {
    nodes += 1;
    if (hypervisor.online) online += 1;
    groupSizes.set(hypervisor.group, (groupSizes.get(hypervisor.group) ?? 0) + 1);
    for (const [imageId, cell] of hypervisor.cells) {
      if (cell.state !== "cached") continue;
      const byGroup = cachedBy.get(imageId) ?? new Map<string | null, number>();
      byGroup.set(hypervisor.group, (byGroup.get(hypervisor.group) ?? 0) + 1);
      cachedBy.set(imageId, byGroup);
    }
  }
  // Named groups by name, then the ungrouped nodes last.
  const groupOrder = [...groupSizes.keys()].sort((a, b) => (a === null ? 1 : b === null ? -1 : a.localeCompare(b)));
  const coverageOf = (byGroup: Map<string | null, number>): ImageCoverage => {
    const groups = groupOrder.map((group) => ({ group, cached: byGroup.get(group) ?? 0, nodes: groupSizes.get(group)! }));
    return { cached: groups.reduce((sum, group) => sum + group.cached, 0), groups };
  };
  const byImage = new Map([...cachedBy].map(([imageId, byGroup]) => [imageId, coverageOf(byGroup)]));
  return { nodes, online, byImage, none: coverageOf(new Map()) };
}
