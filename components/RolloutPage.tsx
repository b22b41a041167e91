"use client";
// One rollout: progress, counts, throughput, per-proxy load, failures with retry, and two ETAs.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { api, formatBytes } from "../lib/api";
import { usePermission } from "../lib/queries";
import { AppShell } from "./AppShell";
import { ThroughputChart, type Sample } from "./ThroughputChart";
import { rolloutReply, type RolloutDetail as Rollout } from "../protocol/api/rollouts";

export function RolloutPage({ id }: { id: string }) {
  return (
    <AppShell title="Rollout">
      <RolloutDetail id={id} />
    </AppShell>
  );
}

function RolloutDetail({ id }: { id: string }) {
  const client = useQueryClient();
  const rollout = useQuery({
    queryKey: ["rollout", { rolloutId: id }],
    queryFn: async () => (await api("GET", `/api/rollouts/${id}`, rolloutReply)).rollout,
    refetchInterval: 2000,
  });
  const operator = usePermission("operator");
  const command = useMutation({
    mutationFn: (verb: string) => api("POST", `/api/rollouts/${id}/${verb}`, rolloutReply, {}),
    onSettled: () => client.invalidateQueries({ queryKey: ["rollout", { rolloutId: id }] }),
  });
  const samples = useRef<Sample[]>([]);
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!rollout.data) return;
    samples.current = [...samples.current, { at: Date.now(), bytes: rollout.data.bytesDelivered }].slice(-150);
    setTick((n) => n + 1);
  }, [rollout.data]);
  if (rollout.isPending) return <p className="muted">Loading…</p>;
  if (rollout.isError) return <p className="error">{rollout.error.message}</p>;
  const r = rollout.data;
  const total = Object.values(r.counts).reduce((a, b) => a + b, 0);
  const isOpen = r.state === "running" || r.state === "paused";
  const perNode = r.model.imageBytes || 1;
  const measured = measuredEta(samples.current, r, perNode);
  const failures = r.hypervisors.filter((h) => h.state === "failed");
  return (
    <>
      <div className="row">
        <span className={`badge ${r.state}`} data-testid="rollout-state">
          {r.state}
        </span>
        <span className="muted">
          {r.strategy} · started {new Date(r.createdAt).toLocaleTimeString()}
        </span>
        <Link href={`/hypervisors?image=${r.imageId}`}>heatmap</Link>
        {r.state === "running" && (
          <button
            type="button"
            className="secondary"
            disabled={!operator.isAllowed}
            title={operator.reason}
            onClick={() => command.mutate("pause")}
          >
            Pause
          </button>
        )}
        {r.state === "paused" && (
          <button type="button" disabled={!operator.isAllowed} title={operator.reason} onClick={() => command.mutate("resume")}>
            Resume
          </button>
        )}
        {isOpen && (
          <button
            type="button"
            className="secondary"
            disabled={!operator.isAllowed}
            title={operator.reason}
            onClick={() => command.mutate("cancel")}
          >
            Cancel
          </button>
        )}
        {failures.length > 0 && r.state !== "cancelled" && (
          <button type="button" disabled={!operator.isAllowed} title={operator.reason} onClick={() => command.mutate("retry")}>
            Retry {failures.length} failed
          </button>
        )}
        {command.isError && <span className="error">{command.error.message}</span>}
      </div>
      <div className="progress" style={{ width: "100%", height: 12, margin: "12px 0" }}>
        <span style={{ width: `${total ? (100 * r.counts.done) / total : 0}%`, background: "var(--cached)" }} />
      </div>
      <div className="cards">
        {(["done", "downloading", "pending", "failed", "cancelled"] as const).map((state) => (
          <div className="card" key={state}>
            <div className="muted">{state}</div>
            <div className="value" data-testid={`rollout-${state}`}>
              {r.counts[state]}
            </div>
          </div>
        ))}
        <div className="card">
          <div className="muted">delivered</div>
          <div className="value">{formatBytes(r.bytesDelivered)}</div>
        </div>
        <div className="card">
          <div className="muted">from origin (≈ 1 artifact per tier-1 Squid)</div>
          <div className="value">{formatBytes(r.model.artifactBytes)}</div>
        </div>
        <div className="card">
          <div className="muted">ETA (measured)</div>
          <div className="value">{formatSeconds(measured)}</div>
        </div>
        <div className="card" title="size × nodes / aggregate proxy bandwidth, with the bandwidths entered on the Topology page">
          <div className="muted">ETA (model, {r.model.proxies} proxies)</div>
          <div className="value">{formatSeconds(r.model.etaSeconds)}</div>
        </div>
      </div>
      <h2 style={{ fontSize: 16 }}>Throughput</h2>
      <ThroughputChart samples={samples.current} />
      <h2 style={{ fontSize: 16 }}>Per proxy</h2>
      <table>
        <thead>
          <tr>
            <th>Proxy</th>
            <th>Downloading</th>
            <th>Done</th>
            <th>Failed</th>
          </tr>
        </thead>
        <tbody>
          {r.perProxy.map((p) => (
            <tr key={p.proxy}>
              <td>{p.proxy}</td>
              <td>{p.downloading}</td>
              <td>{p.done}</td>
              <td>{p.failed}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2 style={{ fontSize: 16 }}>Failures</h2>
      {failures.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Hypervisor</th>
              <th>Attempts</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            {failures.slice(0, 500).map((h) => (
              <tr key={h.name}>
                <td>
                  <Link href={`/hypervisors/${encodeURIComponent(h.name)}`}>{h.name}</Link>
                </td>
                <td>{h.attempts}</td>
                <td className="error">{h.error}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function measuredEta(samples: Sample[], r: Rollout, perNode: number): number | null {
  if (samples.length < 3 || r.state !== "running") return null;
  const first = samples[Math.max(0, samples.length - 15)];
  const last = samples[samples.length - 1];
  const rate = (last.bytes - first.bytes) / ((last.at - first.at) / 1000);
  if (rate <= 0) return null;
  const total = (r.counts.done + r.counts.downloading + r.counts.pending) * perNode;
  return Math.max(0, (total - r.bytesDelivered) / rate);
}

function formatSeconds(seconds: number | null): string {
  if (seconds === null) return "—";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  return `${(seconds / 60).toFixed(1)} min`;
}
