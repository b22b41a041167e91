// The heatmap's filter (name search, state, group) as it lives in the URL, so a view can be shared:
// /hypervisors?image=…&state=failed&group=rack-a&q=node-1 (and view=table for the table view).
import type { LiveHypervisor } from "./live-state";

/** "" means any; group "-" means hypervisors without a group. */
export type HeatmapFilter = { q: string; state: string; group: string };

export const NO_GROUP = "-";

export function filterFromParams(params: { get(name: string): string | null }): HeatmapFilter {
  return { q: params.get("q") ?? "", state: params.get("state") ?? "", group: params.get("group") ?? "" };
}

/** The same fleet as a canvas of cells or as a table with one row per hypervisor. */
export type HeatmapView = "heatmap" | "table";

export function viewFromParams(params: { get(name: string): string | null }): HeatmapView {
  return params.get("view") === "table" ? "table" : "heatmap";
}

/** The query string for a filter, image and view, leaving out what is unset (and the default view). */
export function filterSearch(filter: HeatmapFilter, imageId: string | null, view: HeatmapView = "heatmap"): string {
  const search = new URLSearchParams();
  if (imageId) search.set("image", imageId);
  for (const key of ["q", "state", "group"] as const) if (filter[key]) search.set(key, filter[key]);
  if (view === "table") search.set("view", view);
  const text = search.toString();
  return text ? `?${text}` : "";
}

export function isFiltering(filter: HeatmapFilter): boolean {
  return Boolean(filter.q.trim() || filter.state || filter.group);
}

/** What a hypervisor's cell shows for the image: a cached copy of an image gone stale in the source reads "stale". */
export function cellState(hypervisor: LiveHypervisor, imageId: string | null, isStale: boolean): string {
  const cell = imageId ? hypervisor.cells.get(imageId) : undefined;
  return cell?.state === "cached" && isStale ? "stale" : (cell?.state ?? "absent");
}

export function matchesFilter(hypervisor: LiveHypervisor, state: string, filter: HeatmapFilter): boolean {
  const query = filter.q.trim().toLowerCase();
  if (query && !hypervisor.name.toLowerCase().includes(query)) return false;
  if (filter.state && state !== filter.state) return false;
  if (filter.group === NO_GROUP) return hypervisor.group === null;
  return !filter.group || hypervisor.group === filter.group;
}
