"use client";
// Narrowing thousands of cells: search by name, one state ("failed only"), one group; says how many match.
import { type HeatmapFilter, NO_GROUP } from "../lib/heatmap-filter";
import { plural } from "../lib/plural";

type Props = {
  filter: HeatmapFilter;
  groups: string[];
  states: string[];
  /** How many cells match; null when no filter is on. */
  matches: number | null;
  total: number;
  onChange(filter: HeatmapFilter): void;
};

export function HeatmapFilterBar({ filter, groups, states, matches, total, onChange }: Props) {
  return (
    <search className="row filter-bar" aria-label="Filter hypervisors">
      <label htmlFor="heatmap-search">Name</label>
      <input
        id="heatmap-search"
        type="search"
        placeholder="node-12"
        value={filter.q}
        onChange={(event) => onChange({ ...filter, q: event.target.value })}
      />
      <label htmlFor="heatmap-state">State</label>
      <select id="heatmap-state" value={filter.state} onChange={(event) => onChange({ ...filter, state: event.target.value })}>
        <option value="">any state</option>
        {states.map((state) => (
          <option key={state} value={state}>
            {state === "failed" ? "failed only" : state}
          </option>
        ))}
      </select>
      <label htmlFor="heatmap-group">Group</label>
      <select id="heatmap-group" value={filter.group} onChange={(event) => onChange({ ...filter, group: event.target.value })}>
        <option value="">any group</option>
        <option value={NO_GROUP}>no group</option>
        {groups.map((group) => (
          <option key={group} value={group}>
            {group}
          </option>
        ))}
      </select>
      {matches !== null && (
        <>
          <output data-testid="heatmap-matches" aria-live="polite">
            {matches.toLocaleString("en-US")} of {plural(total, "hypervisor")} match
          </output>
          <button type="button" className="secondary" onClick={() => onChange({ q: "", state: "", group: "" })}>
            Clear filter
          </button>
        </>
      )}
    </search>
  );
}
