"use client";
// One cleanup's story: which image from how many nodes, who asked and when, each node's outcome
// (deleted with the space freed, had none, refused with the agent's reason, offline, timed out,
// interrupted) as it arrives on the live socket (lib/live-state.ts), and the artifact's removal.
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { ApiError, api, formatBytes } from "../lib/api";
import { formatElapsed } from "../lib/format-duration";
import { cleanupKey } from "../lib/queries";
import {
  type ArtifactOutcome,
  type CleanupDetail as CleanupDetailView,
  type CleanupNodeRow,
  type CleanupState,
  cleanupNodePageReply,
  cleanupReply,
  type NodeOutcome,
} from "../protocol/api/cleanup";
import { LocalTime } from "./LocalTime";
import { Reason } from "./RolloutDetail";
import { TableScroll } from "./TableScroll";

/** How each outcome reads, and the badge colour it borrows from the cell states. */
export const NODE_OUTCOMES: Record<NodeOutcome, { label: string; badge: string }> = {
  pending: { label: "waiting", badge: "pending" },
  deleted: { label: "deleted", badge: "done" },
  absent: { label: "had none", badge: "" },
  refused: { label: "refused", badge: "failed" },
  offline: { label: "offline", badge: "failed" },
  timeout: { label: "timed out", badge: "failed" },
  interrupted: { label: "interrupted", badge: "cancelled" },
};
export const CLEANUP_STATE_BADGES: Record<CleanupState, string> = { running: "running", done: "done", interrupted: "cancelled" };
const ARTIFACT_OUTCOMES: Record<ArtifactOutcome, { label: string; badge: string }> = {
  kept: { label: "kept (not asked)", badge: "" },
  pending: { label: "removing…", badge: "running" },
  removed: { label: "removed from the origin", badge: "done" },
  absent: { label: "none to remove", badge: "" },
  failed: { label: "not removed", badge: "failed" },
  interrupted: { label: "interrupted", badge: "cancelled" },
};

export function CleanupDetail({ id }: { id: string }) {
  const cleanup = useQuery({
    queryKey: cleanupKey(id),
    queryFn: async () => (await api("GET", `/api/cleanups/${id}`, cleanupReply)).cleanup,
    retry: (count, error) => !(error instanceof ApiError && error.status === 404) && count < 1,
  });
  if (cleanup.isPending) return <p className="muted">Loading…</p>;
  if (cleanup.isError) {
    if (cleanup.error instanceof ApiError && cleanup.error.status === 404)
      return (
        <div className="not-found" data-testid="cleanup-not-found">
          <h2>No such cleanup</h2>
          <p className="muted">There is no cleanup {id}. It may have been removed with its image.</p>
          <Link href="/cleanup">Cleanup</Link>
        </div>
      );
    return <p className="error">{cleanup.error.message}</p>;
  }
  const c = cleanup.data;
  const answered = c.nodes - c.counts.pending;
  return (
    <>
      <h2 style={{ fontSize: 18, margin: "0 0 8px" }} data-testid="cleanup-title">
        {c.imageName} from {c.nodes} hypervisor{c.nodes === 1 ? "" : "s"}
      </h2>
      <div className="row">
        <span className={`badge ${CLEANUP_STATE_BADGES[c.state]}`} data-testid="cleanup-state">
          {c.state}
        </span>
        <span className="muted">
          started <LocalTime iso={c.createdAt} />
          {c.createdBy && <> by {c.createdBy}</>}
          {c.finishedAt ? (
            <>
              {" "}
              · {c.state === "done" ? "finished" : "stopped"} <LocalTime iso={c.finishedAt} /> after{" "}
              {formatElapsed(c.createdAt, c.finishedAt)}
            </>
          ) : (
            <> · running for {formatElapsed(c.createdAt, null)}</>
          )}
        </span>
        <Link href={`/hypervisors?image=${encodeURIComponent(c.imageId)}`}>heatmap</Link>
      </div>
      <div
        className="progress"
        role="progressbar"
        aria-label="nodes answered"
        aria-valuemin={0}
        aria-valuemax={c.nodes}
        aria-valuenow={answered}
        style={{ width: "100%", height: 12, margin: "12px 0 4px" }}
      >
        <span style={{ width: `${c.nodes ? (100 * answered) / c.nodes : 100}%`, background: "var(--cached)" }} />
      </div>
      <p className="muted" style={{ margin: "0 0 12px" }} data-testid="cleanup-progress">
        {answered} of {c.nodes} answered · {formatBytes(c.freedBytes)} freed
      </p>
      <div className="cards">
        {(Object.keys(NODE_OUTCOMES) as NodeOutcome[]).map((outcome) => (
          <div className="card" key={outcome}>
            <div className="muted">{NODE_OUTCOMES[outcome].label}</div>
            <div className="value" data-testid={`cleanup-${outcome}`}>
              {c.counts[outcome]}
            </div>
          </div>
        ))}
      </div>
      <ArtifactStep cleanup={c} />
      <NodeTable cleanup={c} />
    </>
  );
}

function ArtifactStep({ cleanup: c }: { cleanup: CleanupDetailView }) {
  const { outcome, purges, error } = c.artifact;
  return (
    <>
      <h2 style={{ fontSize: 16 }}>Artifact</h2>
      <p>
        <span className={`badge ${ARTIFACT_OUTCOMES[outcome].badge}`} data-testid="cleanup-artifact">
          {ARTIFACT_OUTCOMES[outcome].label}
        </span>{" "}
        {c.removeArtifact && <span className="muted">{c.purgeProxies ? "and PURGEd from the Squids" : "Squids not PURGEd"}</span>}
        {error && <span className="error"> {error}</span>}
      </p>
      {purges.length > 0 && (
        <TableScroll label="Squid PURGEs">
          <table>
            <thead>
              <tr>
                <th>Squid</th>
                <th>Answer</th>
              </tr>
            </thead>
            <tbody>
              {purges.map((purge) => (
                <tr key={purge.proxy}>
                  <td>{purge.proxy}</td>
                  <td className={purge.error ? "error" : undefined}>{purge.error ?? `HTTP ${purge.status}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </>
  );
}

const FILTERS = ["all", ...(Object.keys(NODE_OUTCOMES) as NodeOutcome[])] as const;

/** Every node and its outcome: from the detail (kept live) up to 500 nodes, else a page at a time. */
function NodeTable({ cleanup: c }: { cleanup: CleanupDetailView }) {
  const [filter, setFilter] = useState<(typeof FILTERS)[number]>("all");
  const pages = useInfiniteQuery({
    queryKey: [...cleanupKey(c.id), "nodes", filter],
    enabled: !c.hypervisorsInline,
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => {
      const search = new URLSearchParams({ limit: "100" });
      if (filter !== "all") search.set("outcome", filter);
      if (pageParam) search.set("after", pageParam);
      return api("GET", `/api/cleanups/${c.id}/nodes?${search}`, cleanupNodePageReply);
    },
    getNextPageParam: (page) => page.nextAfter,
  });
  const rows: CleanupNodeRow[] = c.hypervisorsInline
    ? c.hypervisors.filter((node) => filter === "all" || node.outcome === filter)
    : (pages.data?.pages.flatMap((page) => page.nodes) ?? []);
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
            {FILTERS.map((outcome) => (
              <option key={outcome} value={outcome}>
                {outcome === "all" ? "all" : NODE_OUTCOMES[outcome].label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {pages.isError && <p className="error">{pages.error.message}</p>}
      {rows.length === 0 && (c.hypervisorsInline || !pages.isPending) && <p className="muted">None.</p>}
      {rows.length > 0 && (
        <TableScroll label="Nodes" asCards>
          <table data-testid="cleanup-nodes">
            <thead>
              <tr>
                <th>Hypervisor</th>
                <th>Outcome</th>
                <th>Freed</th>
                <th>Reason</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((node) => (
                <tr key={node.name} data-testid={`cleanup-node-${node.name}`}>
                  <td data-label="Hypervisor">
                    <Link href={`/hypervisors/${encodeURIComponent(node.name)}`}>{node.name}</Link>
                  </td>
                  <td data-label="Outcome">
                    <span className={`badge ${NODE_OUTCOMES[node.outcome].badge}`}>{NODE_OUTCOMES[node.outcome].label}</span>
                  </td>
                  <td data-label="Freed">{node.outcome === "deleted" ? formatBytes(node.freedBytes) : "—"}</td>
                  <td data-label="Reason">
                    {node.error ? (
                      <Reason text={node.error} isFailure={node.outcome !== "interrupted"} />
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {!c.hypervisorsInline && pages.hasNextPage && (
        <button type="button" className="secondary" style={{ marginTop: 8 }} onClick={() => pages.fetchNextPage()}>
          Load more
        </button>
      )}
    </>
  );
}
