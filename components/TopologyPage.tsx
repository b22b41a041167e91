"use client";
// See and edit the topology: tier-1 Squids, groups with their tier-2 proxies and bandwidths.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { api } from "../lib/api";
import { fieldErrorsOf, invalidProps } from "../lib/field-errors";
import { usePermission } from "../lib/queries";
import { useUnsavedWarning } from "../lib/use-unsaved-warning";
import { topologyReply, type Topology, type UpdateTopologyRequest } from "../protocol/api/topology";
import { AppShell } from "./AppShell";
import { DeleteGroupButton } from "./DeleteGroupButton";
import { plural } from "../lib/plural";
import { TableScroll } from "./TableScroll";

export function TopologyPage() {
  return (
    <AppShell title="Topology">
      <TopologyEditor />
    </AppShell>
  );
}

function TopologyEditor() {
  const client = useQueryClient();
  const topology = useQuery({
    queryKey: ["topology"],
    queryFn: async () => (await api("GET", "/api/topology", topologyReply)).topology,
  });
  const [draft, setDraft] = useState<Topology | null>(null);
  const [newGroup, setNewGroup] = useState("");
  useEffect(() => {
    if (topology.data) setDraft(structuredClone(topology.data));
  }, [topology.data]);
  const admin = usePermission("admin");
  // Edits differ from what the server holds until saved or discarded (a save refetches, then resets the draft).
  const hasUnsavedChanges = draft !== null && topology.data !== undefined && JSON.stringify(draft) !== JSON.stringify(topology.data);
  useUnsavedWarning(hasUnsavedChanges);
  // Empty tier-1 rows are not sent: the reply's "tier1.N" counts sent rows, this maps them back.
  const sentTier1 = useRef<number[]>([]);
  const save = useMutation({
    mutationFn: (value: Topology) => {
      sentTier1.current = value.tier1.flatMap((proxy, index) => (proxy.url ? [index] : []));
      return api("POST", "/api/topology", topologyReply, {
        tier1: sentTier1.current.map((index) => value.tier1[index]),
        nodeBandwidthMbps: value.nodeBandwidthMbps,
        groups: value.groups.map((g) => ({ name: g.name, proxies: g.proxies.filter(Boolean), bandwidthMbps: g.bandwidthMbps })),
      } satisfies UpdateTopologyRequest);
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ["topology"] }),
  });
  const errors = fieldErrorsOf(save.error, ([list, index, field]) => {
    if (list === "nodeBandwidthMbps") return "node-bandwidth";
    const row = Number(index);
    if (list === "tier1") return `tier1-${sentTier1.current[row] ?? row}-${field === "url" ? "url" : "bandwidth"}`;
    if (list === "groups") return `group-${row}-${field === "bandwidthMbps" ? "bandwidth" : field === "name" ? "name" : "proxies"}`;
    return undefined;
  });
  const message = (id: string) =>
    errors.has(id) ? (
      <span id={`${id}-error`} className="error field-error">
        {errors.get(id)}
      </span>
    ) : null;
  if (!draft) return <p className="muted">Loading…</p>;
  const update = (change: (value: Topology) => void) => {
    const next = structuredClone(draft);
    change(next);
    setDraft(next);
  };
  const number = (text: string) => (text === "" ? null : Number(text));
  return (
    <>
      <p className="muted">
        Agents without their own <code>--proxy</code> use their group&apos;s proxies (tier-2 Squids), whose parents are the tier-1 Squids.
        Bandwidths feed the rollout time model (size × nodes / aggregate proxy bandwidth).
      </p>
      <h2 style={{ fontSize: 16 }}>Tier-1 Squids</h2>
      {draft.tier1.map((proxy, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place; their position is their identity until saved
        <div className="row" key={index} style={{ marginBottom: 6 }}>
          <label htmlFor={`tier1-${index}-url`}>Squid {index + 1} URL</label>
          <input
            id={`tier1-${index}-url`}
            className="proxy-input"
            value={proxy.url}
            placeholder="http://squid-t1:3128"
            {...invalidProps(errors, `tier1-${index}-url`)}
            onChange={(e) => update((v) => void (v.tier1[index].url = e.target.value))}
          />
          {message(`tier1-${index}-url`)}
          <label htmlFor={`tier1-${index}-bandwidth`}>Bandwidth (Mbit/s)</label>
          <input
            id={`tier1-${index}-bandwidth`}
            type="number"
            value={proxy.bandwidthMbps ?? ""}
            {...invalidProps(errors, `tier1-${index}-bandwidth`)}
            onChange={(e) => update((v) => void (v.tier1[index].bandwidthMbps = number(e.target.value)))}
          />
          {message(`tier1-${index}-bandwidth`)}
          <button type="button" className="secondary" onClick={() => update((v) => void v.tier1.splice(index, 1))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" className="secondary" onClick={() => update((v) => void v.tier1.push({ url: "", bandwidthMbps: null }))}>
        Add tier-1 Squid
      </button>
      <h2 style={{ fontSize: 16 }}>Groups</h2>
      <TableScroll label="Groups">
        <table>
          <thead>
            <tr>
              <th>Group</th>
              <th>Hypervisors</th>
              <th>Proxies (tier 2, in order)</th>
              <th>Proxy bandwidth (Mbit/s)</th>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {draft.groups.map((group, index) => (
              <tr key={group.name} data-testid={`group-${group.name}`}>
                <td>
                  {group.name}
                  {message(`group-${index}-name`)}
                </td>
                <td>
                  {group.online} / {group.hypervisors} online
                </td>
                <td>
                  <input
                    id={`group-${index}-proxies`}
                    className="proxy-input"
                    aria-label={`${group.name} proxies, comma-separated`}
                    {...invalidProps(errors, `group-${index}-proxies`)}
                    value={group.proxies.join(", ")}
                    placeholder="http://squid-rack1:3128"
                    onChange={(e) => update((v) => void (v.groups[index].proxies = e.target.value.split(",").map((p) => p.trim())))}
                  />
                  {message(`group-${index}-proxies`)}
                </td>
                <td>
                  <input
                    id={`group-${index}-bandwidth`}
                    type="number"
                    aria-label={`${group.name} proxy bandwidth (Mbit/s)`}
                    {...invalidProps(errors, `group-${index}-bandwidth`)}
                    value={group.bandwidthMbps ?? ""}
                    onChange={(e) => update((v) => void (v.groups[index].bandwidthMbps = number(e.target.value)))}
                  />
                  {message(`group-${index}-bandwidth`)}
                </td>
                <td>
                  <DeleteGroupButton
                    name={group.name}
                    members={group.hypervisors}
                    isSaved={topology.data?.groups.some((saved) => saved.name === group.name) ?? false}
                    onUnsaved={() => update((v) => void v.groups.splice(index, 1))}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <p className="muted">{plural(draft.ungrouped, "hypervisor")} without a group (agents report one with --group, or set it per node).</p>
      <div className="row">
        <label htmlFor="new-group">New group</label>
        <input id="new-group" value={newGroup} placeholder="rack-7" onChange={(e) => setNewGroup(e.target.value)} />
        <button
          type="button"
          className="secondary"
          disabled={!newGroup}
          onClick={() => {
            update((v) => void v.groups.push({ name: newGroup, proxies: [], bandwidthMbps: null, hypervisors: 0, online: 0 }));
            setNewGroup("");
          }}
        >
          Add group
        </button>
        <label htmlFor="node-bandwidth">Node link (Mbit/s)</label>
        <input
          id="node-bandwidth"
          type="number"
          {...invalidProps(errors, "node-bandwidth")}
          value={draft.nodeBandwidthMbps}
          onChange={(e) => update((v) => void (v.nodeBandwidthMbps = Number(e.target.value)))}
        />
        {message("node-bandwidth")}
      </div>
      <div className="row" style={{ marginTop: 16 }}>
        <button type="button" onClick={() => save.mutate(draft)} disabled={save.isPending || !admin.isAllowed} title={admin.reason}>
          Save topology
        </button>
        {admin.reason && (
          <span className="muted" data-testid="role-reason">
            {admin.reason}
          </span>
        )}
        {save.isError && (
          <span className="error" role="alert">
            {errors.size > 0
              ? `Not saved: ${errors.size === 1 ? "1 field needs" : `${errors.size} fields need`} a fix (marked above)`
              : save.error.message}
          </span>
        )}
        {hasUnsavedChanges && topology.data && (
          <button type="button" className="secondary" onClick={() => setDraft(structuredClone(topology.data))}>
            Discard changes
          </button>
        )}
        <span role="status" className="unsaved-marker" data-testid="unsaved-marker">
          {hasUnsavedChanges ? "● Unsaved changes" : ""}
        </span>
        {save.isSuccess && !hasUnsavedChanges && <span className="muted">saved; agents updated</span>}
      </div>
    </>
  );
}
