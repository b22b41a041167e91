"use client";
// One rollout's story: which image to how many nodes, who started it and when, progress by bytes,
// retries and failures with their reasons, throughput, per-proxy load, and each node's state.
// Kept fresh by the live socket: rollout and cell deltas invalidate these queries (lib/live-state.ts).
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { ApiError, api, formatBytes } from "../lib/api";
import { formatElapsed, formatSeconds } from "../lib/format-duration";
import { LocalTime } from "./LocalTime";
import { targetLabel } from "../lib/rollout-labels";
import { usePermission } from "../lib/queries";
import { type RolloutDetail as RolloutDetailView, rolloutReply, targetPageReply } from "../protocol/api/rollouts";
import { ConfirmDialog } from "./Modal";
import { ReasonButton, firstReason } from "./ReasonButton";
import { ThroughputChart, type Sample } from "./ThroughputChart";
import { TableScroll } from "./TableScroll";

export const rolloutKey = (id: string) => ["rollout", { rolloutId: id }] as const;

export function RolloutDetail({ id }: { id: string }) {
  const client = useQueryClient();
  const rollout = useQuery({
    queryKey: rolloutKey(id),
    queryFn: async () => (await api("GET", `/api/rollouts/${id}`, rolloutReply)).rollout,
    retry: (count, error) => !(error instanceof ApiError && error.status === 404) && count < 1,
  });
  const operator = usePermission("operator");
  const [isConfirmingCancel, setConfirmingCancel] = useState(false);
  const command = useMutation({
    mutationFn: (verb: string) => api("POST", `/api/rollouts/${id}/${verb}`, rolloutReply, {}),
    onSuccess: () => setConfirmingCancel(false),
    onSettled: () => client.invalidateQueries({ queryKey: ["rollout", { rolloutId: id }] }),
  });
  const samples = useRef<Sample[]>([]);
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!rollout.data) return;
    samples.current = [...samples.current, { at: Date.now(), bytes: rollout.data.bytesDelivered }].slice(-150);
    setTick((n) => n + 1);
  }, [rollout.data]);
  // With no change for a while (a stall), the chart still moves on: the last byte count, now.
  const isRunning = rollout.data?.state === "running";
  useEffect(() => {
    if (!isRunning) return;
    const timer = setInterval(() => {
      const last = samples.current.at(-1);
      if (!last || Date.now() - last.at < 4000) return;
      samples.current = [...samples.current, { at: Date.now(), bytes: last.bytes }].slice(-150);
      setTick((n) => n + 1);
    }, 5000);
    return () => clearInterval(timer);
  }, [isRunning]);
  if (rollout.isPending) return <p className="muted">Loading…</p>;
  if (rollout.isError) {
    if (rollout.error instanceof ApiError && rollout.error.status === 404)
      return (
        <div className="not-found" data-testid="rollout-not-found">
          <h2>No such rollout</h2>
          <p className="muted">There is no rollout {id}. It may have been removed with its image.</p>
          <Link href="/rollouts">All rollouts</Link>
        </div>
      );
    return <p className="error">{rollout.error.message}</p>;
  }
  const r = rollout.data;
  const isOpen = r.state === "running" || r.state === "paused";
  const active = r.targets - r.counts.cancelled;
  const totalBytes = active * (r.model.imageBytes || 0);
  const progress = totalBytes > 0 ? Math.min(1, r.bytesDelivered / totalBytes) : active > 0 ? r.counts.done / active : 1;
  const measured = measuredEta(samples.current, r);
  const open = r.counts.pending + r.counts.downloading;
  const blocker = firstReason([!operator.isAllowed, operator.reason], [command.isPending, "working…"]);
  const duration = (new Date(r.finishedAt ?? Date.now()).getTime() - new Date(r.createdAt).getTime()) / 1000;
  return (
    <>
      <h2 style={{ fontSize: 18, margin: "0 0 8px" }} data-testid="rollout-title">
        <Link href={`/rollouts?imageId=${encodeURIComponent(r.imageId)}`}>{r.imageName}</Link> to {r.targets} hypervisor
        {r.targets === 1 ? "" : "s"} {describeSelector(r.selector)}
      </h2>
      <div className="row">
        <span className={`badge ${r.state}`} data-testid="rollout-state">
          {r.state}
        </span>
        <span className="muted" data-testid="rollout-when">
          started <LocalTime iso={r.createdAt} />
          {r.createdBy && <> by {r.createdBy}</>}
          {r.finishedAt ? (
            <>
              {" "}
              · finished <LocalTime iso={r.finishedAt} /> after {formatElapsed(r.createdAt, r.finishedAt)}
            </>
          ) : (
            <> · running for {formatElapsed(r.createdAt, null)}</>
          )}
        </span>
        <span className="muted">
          {r.strategy}
          {r.strategy === "jitter" && ` ≤ ${r.jitterSeconds} s`} · source {r.source === "peers" ? "peers" : "Squid only"} ·{" "}
          {r.perProxyConcurrency} per proxy{r.bandwidthMbps !== null && ` · ≤ ${r.bandwidthMbps} Mbit/s per node`} · up to {r.maxAttempts}{" "}
          attempts
        </span>
        <Link href={`/hypervisors?image=${r.imageId}`}>heatmap</Link>
        {r.state === "running" && (
          <ReasonButton className="secondary" disabled={Boolean(blocker)} reason={blocker} onClick={() => command.mutate("pause")}>
            Pause
          </ReasonButton>
        )}
        {r.state === "paused" && (
          <ReasonButton disabled={Boolean(blocker)} reason={blocker} onClick={() => command.mutate("resume")}>
            Resume
          </ReasonButton>
        )}
        {isOpen && (
          <ReasonButton className="secondary" disabled={Boolean(blocker)} reason={blocker} onClick={() => setConfirmingCancel(true)}>
            Cancel rollout
          </ReasonButton>
        )}
        {r.counts.failed > 0 && r.state !== "cancelled" && (
          <ReasonButton disabled={Boolean(blocker)} reason={blocker} onClick={() => command.mutate("retry")}>
            Retry {r.counts.failed} failed
          </ReasonButton>
        )}
        {command.isError && !isConfirmingCancel && <span className="error">{command.error.message}</span>}
      </div>
      {isConfirmingCancel && (
        <ConfirmDialog
          title={`Cancel the rollout of ${r.imageName}?`}
          confirmLabel={`Cancel for ${open} hypervisor${open === 1 ? "" : "s"}`}
          onConfirm={() => command.mutate("cancel")}
          onClose={() => setConfirmingCancel(false)}
          isPending={command.isPending}
          error={command.error?.message ?? null}
        >
          <p data-testid="cancel-summary">
            <strong>{open}</strong> hypervisor{open === 1 ? "" : "s"} still waiting or downloading will not get {r.imageName} (
            {formatBytes(open * r.model.imageBytes)} not delivered); {r.counts.downloading} download
            {r.counts.downloading === 1 ? " is" : "s are"} aborted and {r.counts.downloading === 1 ? "its" : "their"} partial files removed.{" "}
            {r.counts.done} that have it keep it.
          </p>
        </ConfirmDialog>
      )}
      <div
        className="progress"
        role="progressbar"
        aria-label="bytes delivered"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(progress * 100)}
        style={{ width: "100%", height: 12, margin: "12px 0 4px" }}
      >
        <span style={{ width: `${progress * 100}%`, background: "var(--cached)" }} />
      </div>
      <p className="muted" style={{ margin: "0 0 12px" }} data-testid="rollout-progress">
        {Math.floor(progress * 100)} % · {formatBytes(r.bytesDelivered)} of {formatBytes(totalBytes)} written on hypervisors
      </p>
      <div className="cards">
        {(
          [
            ["done", r.counts.done],
            ["downloading", r.counts.downloading],
            ["retrying", r.retrying],
            ["waiting", r.counts.pending - r.retrying],
            ["failed", r.counts.failed],
            ["cancelled", r.counts.cancelled],
          ] as const
        ).map(([label, value]) => (
          <div className="card" key={label}>
            <div className="muted">{label}</div>
            <div className="value" data-testid={`rollout-${label}`}>
              {value}
            </div>
          </div>
        ))}
        <div className="card">
          <div className="muted">from origin (≈ 1 artifact per tier-1 Squid)</div>
          <div className="value">{formatBytes(r.model.artifactBytes)}</div>
        </div>
        {r.source === "peers" && (
          <div className="card" title="compressed bytes nodes got from peers: what the Squids did not have to send">
            <div className="muted">saved at the Squids</div>
            <div className="value" data-testid="rollout-from-peers">
              {formatBytes(r.bytesFromPeers)}
            </div>
          </div>
        )}
        {r.state === "paused" && (
          <div className="card">
            <div className="muted">ETA</div>
            <div className="value">paused</div>
          </div>
        )}
        {r.state === "running" && (
          <>
            <div className="card">
              <div className="muted">ETA (measured)</div>
              <div className="value">{formatSeconds(measured)}</div>
            </div>
            <div className="card" title="size × nodes left / aggregate proxy bandwidth, with the bandwidths entered on the Topology page">
              <div className="muted">ETA (planner, {r.model.proxies} proxies)</div>
              <div className="value">{r.model.proxies ? formatSeconds(r.model.etaSeconds) : "no bandwidths"}</div>
            </div>
          </>
        )}
        {!isOpen && (
          <div className="card" title="planner's time for the whole rollout, for comparison">
            <div className="muted">took (planner said)</div>
            <div className="value" data-testid="rollout-duration">
              {formatSeconds(duration)} <span className="muted">({formatSeconds(r.model.totalSeconds)})</span>
            </div>
          </div>
        )}
      </div>
      <h2 style={{ fontSize: 16 }}>Throughput</h2>
      <ThroughputChart
        samples={samples.current}
        emptyText={
          isOpen
            ? "Collecting throughput (a point at each change)…"
            : `Average ${formatBytes(duration > 0 ? r.bytesDelivered / duration : 0)}/s over ${formatSeconds(duration)} (per-second throughput is measured only while the page watches a running rollout).`
        }
      />
      <h2 style={{ fontSize: 16 }}>Per proxy</h2>
      {r.perProxy.length === 0 ? (
        <p className="muted">No download has gone through a proxy yet.</p>
      ) : (
        <TableScroll label="Per-proxy load">
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
        </TableScroll>
      )}
      <TargetTable rollout={r} />
    </>
  );
}

const FILTERS = ["all", "downloading", "retrying", "failed", "pending", "done", "cancelled"] as const;

/** The nodes of a rollout, a page at a time, filtered by state. */
function TargetTable({ rollout: r }: { rollout: RolloutDetailView }) {
  const [filter, setFilter] = useState<(typeof FILTERS)[number]>(r.counts.failed ? "failed" : r.retrying ? "retrying" : "all");
  const targets = useInfiniteQuery({
    queryKey: ["rollout", { rolloutId: r.id }, "targets", filter],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => {
      const search = new URLSearchParams({ limit: "100" });
      if (filter !== "all") search.set("state", filter);
      if (pageParam) search.set("after", pageParam);
      return api("GET", `/api/rollouts/${r.id}/targets?${search}`, targetPageReply);
    },
    getNextPageParam: (page) => page.nextAfter,
  });
  const rows = targets.data?.pages.flatMap((page) => page.targets) ?? [];
  return (
    <>
      <div className="row" style={{ margin: "16px 0 8px" }}>
        <h2 style={{ fontSize: 16, margin: 0 }}>Hypervisors</h2>
        <label>
          <span className="muted">show </span>
          <select
            value={filter}
            onChange={(event) => setFilter(event.target.value as (typeof FILTERS)[number])}
            aria-label="Show hypervisors"
          >
            {FILTERS.map((state) => (
              <option key={state} value={state}>
                {state}
              </option>
            ))}
          </select>
        </label>
      </div>
      {targets.isError && <p className="error">{targets.error.message}</p>}
      {rows.length === 0 && !targets.isPending && <p className="muted">None {filter === "all" ? "" : filter}.</p>}
      {rows.length > 0 && (
        <TableScroll label="Targets" asCards>
          <table data-testid="rollout-targets">
            <thead>
              <tr>
                <th>Hypervisor</th>
                <th>State</th>
                <th>Written</th>
                <th>Proxy</th>
                {r.source === "peers" && <th>Source</th>}
                <th>Reason</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((target) => (
                <tr key={target.name} data-testid={`target-${target.name}`}>
                  <td data-label="Hypervisor">
                    <Link href={`/hypervisors/${encodeURIComponent(target.name)}`}>{target.name}</Link>
                  </td>
                  <td data-label="State">
                    <span className={`badge ${target.state}`}>{targetLabel(target, r.maxAttempts)}</span>
                  </td>
                  <td data-label="Written">{formatBytes(target.bytes)}</td>
                  <td data-label="Proxy" className="muted">
                    {target.proxy ?? "—"}
                  </td>
                  {r.source === "peers" && <td data-label="Source">{target.source ?? "—"}</td>}
                  <td data-label="Reason">
                    {target.error ? <Reason text={target.error} isFailure={target.state === "failed"} /> : <span className="muted">—</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {targets.hasNextPage && (
        <button type="button" className="secondary" style={{ marginTop: 8 }} onClick={() => targets.fetchNextPage()}>
          Load more
        </button>
      )}
    </>
  );
}

export function Reason({ text, isFailure }: { text: string; isFailure: boolean }) {
  const short = text.length > 80 ? `${text.slice(0, 77)}…` : text;
  if (short === text) return <span className={isFailure ? "error" : "muted"}>{text}</span>;
  return (
    <details>
      <summary className={isFailure ? "error" : "muted"}>{short}</summary>
      <pre style={{ whiteSpace: "pre-wrap", margin: "4px 0 0" }}>{text}</pre>
    </details>
  );
}

function describeSelector(selector: RolloutDetailView["selector"]): string {
  if (!selector || "all" in selector) return "(all, and those that join later)";
  if ("groups" in selector) return `(groups ${selector.groups.join(", ")})`;
  return "(chosen by name)";
}

function measuredEta(samples: Sample[], r: RolloutDetailView): number | null {
  if (samples.length < 3 || r.state !== "running") return null;
  const first = samples[Math.max(0, samples.length - 15)];
  const last = samples[samples.length - 1];
  const rate = (last.bytes - first.bytes) / ((last.at - first.at) / 1000);
  if (rate <= 0) return null;
  const total = (r.targets - r.counts.cancelled - r.counts.failed) * (r.model.imageBytes || 1);
  return Math.max(0, (total - r.bytesDelivered) / rate);
}
