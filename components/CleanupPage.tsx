"use client";
// Stale images with the space they take, per node and in total; clean up the chosen nodes (the
// cleanup's own page then shows each node's outcome as it arrives); the recent cleanups.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { api, formatBytes } from "../lib/api";
import { formatElapsed } from "../lib/format-duration";
import { useCleanupMutation, usePermission } from "../lib/queries";
import { cleanupListReply, staleListReply, type StaleImage } from "../protocol/api/cleanup";
import { AppShell } from "./AppShell";
import { CLEANUP_STATE_BADGES } from "./CleanupDetail";
import { LocalTime } from "./LocalTime";
import { ConfirmDialog } from "./Modal";
import { ReasonButton, firstReason } from "./ReasonButton";
import { TableScroll } from "./TableScroll";
import { plural } from "../lib/plural";

export function CleanupPage() {
  return (
    <AppShell title="Cleanup">
      <StaleList />
      <RecentCleanups />
    </AppShell>
  );
}

function StaleList() {
  const client = useQueryClient();
  const router = useRouter();
  const stale = useQuery({
    queryKey: ["stale"],
    queryFn: () => api("GET", "/api/cleanup/stale", staleListReply),
  });
  const [open, setOpen] = useState<string | null>(null);
  const [excluded, setExcluded] = useState<Record<string, Set<string>>>({});
  const [confirming, setConfirming] = useState<StaleImage | null>(null);
  const operator = usePermission("operator");
  const cleanup = useCleanupMutation();
  const start = (image: StaleImage) => {
    const skip = excluded[image.imageId] ?? new Set<string>();
    const hypervisors = image.perNode.map((node) => node.name).filter((name) => !skip.has(name));
    cleanup.mutate(
      { imageId: image.imageId, ...(skip.size ? { hypervisors } : {}), removeArtifact: true },
      {
        onSuccess: ({ cleanup: started }) => {
          setConfirming(null);
          router.push(`/cleanups/${started.id}`);
        },
        onSettled: () => client.invalidateQueries({ queryKey: ["stale"] }),
      },
    );
  };
  const blocker = (image: StaleImage) =>
    firstReason(
      [!operator.isAllowed, operator.reason],
      [cleanup.isPending, "starting the cleanup…"],
      [image.perNode.every((node) => excluded[image.imageId]?.has(node.name)), "every node is unticked"],
    );
  if (stale.isPending) return <p className="muted">Loading…</p>;
  if (stale.isError) return <p className="error">{stale.error.message}</p>;
  return (
    <>
      <p>
        <strong data-testid="stale-total">{formatBytes(stale.data.totalBytes)}</strong> held by {stale.data.images.length} stale images.
        Agents refuse to delete a copy that an instance disk is backed by or a process holds open, and say so.
      </p>
      <table>
        <thead>
          <tr>
            <th>Image</th>
            <th>Why stale</th>
            <th>Nodes</th>
            <th>Space</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {stale.data.images.map((image) => {
            const skip = excluded[image.imageId] ?? new Set<string>();
            return (
              <tr key={image.imageId} data-testid={`stale-${image.name}`}>
                <td>
                  {image.name}
                  <div className="muted" style={{ fontSize: 12 }}>
                    {image.imageId}
                  </div>
                </td>
                <td>
                  <span className="badge">{image.reason}</span> <span className="muted">{image.detail}</span>
                </td>
                <td>
                  <button type="button" className="secondary" onClick={() => setOpen(open === image.imageId ? null : image.imageId)}>
                    {plural(image.nodes, "node")}
                  </button>
                  {open === image.imageId && (
                    <div style={{ maxHeight: 200, overflow: "auto", marginTop: 6 }}>
                      {image.perNode.map((node) => (
                        <label key={node.name} style={{ display: "block" }}>
                          <input
                            type="checkbox"
                            checked={!skip.has(node.name)}
                            onChange={(e) =>
                              setExcluded((all) => {
                                const next = new Set(all[image.imageId] ?? []);
                                if (e.target.checked) next.delete(node.name);
                                else next.add(node.name);
                                return { ...all, [image.imageId]: next };
                              })
                            }
                          />{" "}
                          {node.name} <span className="muted">{formatBytes(node.bytes)}</span>
                        </label>
                      ))}
                    </div>
                  )}
                </td>
                <td>{formatBytes(image.bytes)}</td>
                <td>
                  <ReasonButton onClick={() => setConfirming(image)} disabled={Boolean(blocker(image))} reason={blocker(image)}>
                    Clean up
                  </ReasonButton>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {stale.data.images.length === 0 && <p className="muted">Nothing stale.</p>}
      {confirming && (
        <ConfirmCleanup
          image={confirming}
          skip={excluded[confirming.imageId]}
          onConfirm={() => start(confirming)}
          onClose={() => setConfirming(null)}
          isPending={cleanup.isPending}
          error={cleanup.error?.message ?? null}
        />
      )}
    </>
  );
}

/** The last cleanups, newest first, each linking to its page. */
function RecentCleanups() {
  const recent = useQuery({
    queryKey: ["cleanups", "recent"],
    queryFn: () => api("GET", "/api/cleanups?limit=20", cleanupListReply),
  });
  const rows = recent.data?.cleanups ?? [];
  return (
    <>
      <h2 style={{ fontSize: 16, marginTop: 24 }}>Recent cleanups</h2>
      {recent.isError && <p className="error">{recent.error.message}</p>}
      {!recent.isPending && rows.length === 0 && <p className="muted">No cleanups yet.</p>}
      {rows.length > 0 && (
        <TableScroll label="Recent cleanups" asCards>
          <table data-testid="cleanup-history">
            <thead>
              <tr>
                <th>Image</th>
                <th>State</th>
                <th>Nodes</th>
                <th>Deleted / not deleted / waiting</th>
                <th>Freed</th>
                <th>Started</th>
                <th>By</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id} data-testid="cleanup-row">
                  <td data-label="Image">
                    <Link href={`/cleanups/${row.id}`}>{row.imageName}</Link>
                  </td>
                  <td data-label="State">
                    <span className={`badge ${CLEANUP_STATE_BADGES[row.state]}`}>{row.state}</span>
                  </td>
                  <td data-label="Nodes">{row.nodes}</td>
                  <td data-label="Deleted / not deleted / waiting">
                    {row.counts.deleted + row.counts.absent} /{" "}
                    {row.counts.refused + row.counts.offline + row.counts.timeout + row.counts.interrupted} / {row.counts.pending}
                  </td>
                  <td data-label="Freed">{formatBytes(row.freedBytes)}</td>
                  <td data-label="Started">
                    <LocalTime iso={row.createdAt} />
                    {row.finishedAt && <span className="muted"> ({formatElapsed(row.createdAt, row.finishedAt)})</span>}
                  </td>
                  <td data-label="By">{row.createdBy ?? <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </>
  );
}

/** Names the nodes and the space a cleanup frees before it runs. */
function ConfirmCleanup({
  image,
  skip,
  ...actions
}: {
  image: StaleImage;
  skip?: Set<string>;
  onConfirm: () => void;
  onClose: () => void;
  isPending: boolean;
  error: string | null;
}) {
  const nodes = image.perNode.filter((node) => !skip?.has(node.name));
  const bytes = nodes.reduce((sum, node) => sum + node.bytes, 0);
  return (
    <ConfirmDialog
      title={`Clean up ${image.name}?`}
      confirmLabel={`Delete from ${nodes.length} node${nodes.length === 1 ? "" : "s"}`}
      {...actions}
    >
      <p data-testid="cleanup-summary">
        Deletes {image.name} from <strong>{nodes.length}</strong> node{nodes.length === 1 ? "" : "s"}, freeing{" "}
        <strong>{formatBytes(bytes)}</strong>
        {image.hasArtifact ? ", and removes its published artifact" : ""}.
      </p>
    </ConfirmDialog>
  );
}
