"use client";
// See and edit the topology: tier-1 Squids, groups with their tier-2 proxies and bandwidths.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api } from "../lib/api";
import { usePermission } from "../lib/queries";
import { topologyReply, type Topology, type UpdateTopologyRequest } from "../protocol/api/topology";
import { AppShell } from "./AppShell";
import { plural } from "../lib/plural";

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
  const save = useMutation({
    mutationFn: (value: Topology) =>
      api("POST", "/api/topology", topologyReply, {
        tier1: value.tier1.filter((t) => t.url),
        nodeBandwidthMbps: value.nodeBandwidthMbps,
        groups: value.groups.map((g) => ({ name: g.name, proxies: g.proxies.filter(Boolean), bandwidthMbps: g.bandwidthMbps })),
      } satisfies UpdateTopologyRequest),
    onSuccess: () => client.invalidateQueries({ queryKey: ["topology"] }),
  });
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
          <input
            value={proxy.url}
            placeholder="http://squid-t1:3128"
            onChange={(e) => update((v) => void (v.tier1[index].url = e.target.value))}
          />
          <input
            type="number"
            value={proxy.bandwidthMbps ?? ""}
            placeholder="Mbit/s"
            onChange={(e) => update((v) => void (v.tier1[index].bandwidthMbps = number(e.target.value)))}
          />
          <button type="button" className="secondary" onClick={() => update((v) => void v.tier1.splice(index, 1))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" className="secondary" onClick={() => update((v) => void v.tier1.push({ url: "", bandwidthMbps: null }))}>
        Add tier-1 Squid
      </button>
      <h2 style={{ fontSize: 16 }}>Groups</h2>
      <table>
        <thead>
          <tr>
            <th>Group</th>
            <th>Hypervisors</th>
            <th>Proxies (tier 2, in order)</th>
            <th>Proxy bandwidth (Mbit/s)</th>
          </tr>
        </thead>
        <tbody>
          {draft.groups.map((group, index) => (
            <tr key={group.name} data-testid={`group-${group.name}`}>
              <td>{group.name}</td>
              <td>
                {group.online} / {group.hypervisors} online
              </td>
              <td>
                <input
                  style={{ width: "100%" }}
                  value={group.proxies.join(", ")}
                  placeholder="http://squid-rack1:3128"
                  onChange={(e) => update((v) => void (v.groups[index].proxies = e.target.value.split(",").map((p) => p.trim())))}
                />
              </td>
              <td>
                <input
                  type="number"
                  value={group.bandwidthMbps ?? ""}
                  onChange={(e) => update((v) => void (v.groups[index].bandwidthMbps = number(e.target.value)))}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">{plural(draft.ungrouped, "hypervisor")} without a group (agents report one with --group, or set it per node).</p>
      <div className="row">
        <input value={newGroup} placeholder="new group name" onChange={(e) => setNewGroup(e.target.value)} />
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
        <label className="muted">
          Node link (Mbit/s){" "}
          <input
            type="number"
            value={draft.nodeBandwidthMbps}
            onChange={(e) => update((v) => void (v.nodeBandwidthMbps = Number(e.target.value)))}
          />
        </label>
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
            {save.error.message}
          </span>
        )}
        {save.isSuccess && <span className="muted">saved; agents updated</span>}
      </div>
    </>
  );
}
