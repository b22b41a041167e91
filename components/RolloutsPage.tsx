"use client";
// Rollout history, newest first: which image to how many nodes, who started it, how it ended and
// how long it took; filtered by image and state, older pages on demand.
import { useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { api } from "../lib/api";
import { formatElapsed } from "../lib/format-duration";
import { LocalTime } from "./LocalTime";
import { useImagesQuery } from "../lib/queries";
import { rolloutListReply } from "../protocol/api/rollouts";
import { AppShell } from "./AppShell";
import { TableScroll } from "./TableScroll";

const STATES = ["running", "paused", "done", "failed", "cancelled"] as const;

export function RolloutsPage() {
  return (
    <AppShell title="Rollouts">
      <Suspense>
        <RolloutHistory />
      </Suspense>
    </AppShell>
  );
}

function RolloutHistory() {
  const params = useSearchParams();
  const router = useRouter();
  const imageId = params.get("imageId") ?? "";
  const state = params.get("state") ?? "";
  const images = useImagesQuery();
  const history = useInfiniteQuery({
    queryKey: ["rollouts", "history", { imageId, state }],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => {
      const search = new URLSearchParams({ limit: "50" });
      if (imageId) search.set("imageId", imageId);
      if (state) search.set("state", state);
      if (pageParam) search.set("before", pageParam);
      return api("GET", `/api/rollouts?${search}`, rolloutListReply);
    },
    getNextPageParam: (page) => page.nextBefore,
  });
  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(params.toString());
    if (value) next.set(name, value);
    else next.delete(name);
    router.replace(`/rollouts${next.size ? `?${next}` : ""}`);
  };
  const rows = history.data?.pages.flatMap((page) => page.rollouts) ?? [];
  return (
    <>
      <div className="row" style={{ marginBottom: 12 }}>
        <label htmlFor="rollouts-image">Image</label>
        <select id="rollouts-image" value={imageId} onChange={(event) => setFilter("imageId", event.target.value)}>
          <option value="">any</option>
          {images.data?.map((image) => (
            <option key={image.id} value={image.id}>
              {image.name}
            </option>
          ))}
          {imageId && !images.data?.some((image) => image.id === imageId) && <option value={imageId}>{imageId}</option>}
        </select>
        <label htmlFor="rollouts-state">State</label>
        <select id="rollouts-state" value={state} onChange={(event) => setFilter("state", event.target.value)}>
          <option value="">any</option>
          {STATES.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </div>
      {history.isError && <p className="error">{history.error.message}</p>}
      {history.isPending && <p className="muted">Loading…</p>}
      {!history.isPending && rows.length === 0 && (
        <p className="muted">No rollouts{imageId || state ? " match" : " yet: start one from the Images page"}.</p>
      )}
      {rows.length > 0 && (
        <TableScroll label="Rollout history" asCards>
          <table data-testid="rollout-history">
            <thead>
              <tr>
                <th>Image</th>
                <th>State</th>
                <th>Targets</th>
                <th>Done / failed / open</th>
                <th>Started</th>
                <th>By</th>
                <th>Finished</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((rollout) => (
                <tr key={rollout.id} data-testid="rollout-row">
                  <td data-label="Image">
                    <Link href={`/rollouts/${rollout.id}`} data-testid="rollout-image">
                      {rollout.imageName}
                    </Link>
                    <div className="muted" style={{ fontSize: 12 }}>
                      {rollout.strategy} · {rollout.source === "peers" ? "peers" : "Squid only"}
                    </div>
                  </td>
                  <td data-label="State">
                    <span className={`badge ${rollout.state}`} data-testid="rollout-row-state">
                      {rollout.state}
                    </span>
                  </td>
                  <td data-label="Targets">{rollout.targets}</td>
                  <td data-label="Done / failed / open">
                    {rollout.counts.done} / {rollout.counts.failed} / {rollout.counts.pending + rollout.counts.downloading}
                    {rollout.retrying > 0 && <span className="muted"> ({rollout.retrying} retrying)</span>}
                  </td>
                  <td data-label="Started">
                    <LocalTime iso={rollout.createdAt} />
                  </td>
                  <td data-label="By">{rollout.createdBy ?? <span className="muted">—</span>}</td>
                  <td data-label="Finished">
                    {rollout.finishedAt ? (
                      <>
                        <LocalTime iso={rollout.finishedAt} />{" "}
                        <span className="muted">after {formatElapsed(rollout.createdAt, rollout.finishedAt)}</span>
                      </>
                    ) : (
                      <span className="muted">running for {formatElapsed(rollout.createdAt, null)}</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {history.hasNextPage && (
        <button type="button" className="secondary" style={{ marginTop: 8 }} onClick={() => history.fetchNextPage()}>
          Load older
        </button>
      )}
    </>
  );
}
