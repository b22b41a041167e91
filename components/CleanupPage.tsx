"use client";
// Stale images with the space they take, per node and in total; clean up the chosen nodes.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, formatBytes } from "../lib/api";
import { usePermission } from "../lib/queries";
import { cleanupReply, staleListReply, type CleanupReply, type CleanupRequest, type StaleImage } from "../protocol/api/cleanup";
import { AppShell } from "./AppShell";
import { ConfirmDialog } from "./Modal";
import { ReasonButton, firstReason } from "./ReasonButton";
import { plural } from "../lib/plural";

export function CleanupPage() {
  return (
    <AppShell title="Cleanup">
      <StaleList />
    </AppShell>
  );
}

function StaleList() {
  const client = useQueryClient();
  const stale = useQuery({
    queryKey: ["stale"],
    queryFn: () => api("GET", "/api/cleanup/stale", staleListReply),
  });
  const [open, setOpen] = useState<string | null>(null);
  const [excluded, setExcluded] = useState<Record<string, Set<string>>>({});
  const [results, setResults] = useState<Record<string, CleanupReply>>({});
  const [confirming, setConfirming] = useState<StaleImage | null>(null);
  const operator = usePermission("operator");
  const cleanup = useMutation({
    mutationFn: (image: StaleImage) => {
      const skip = excluded[image.imageId] ?? new Set<string>();
      const hypervisors = image.perNode.map((node) => node.name).filter((name) => !skip.has(name));
      return api("POST", "/api/cleanup", cleanupReply, {
        imageId: image.imageId,
        ...(skip.size ? { hypervisors } : {}),
        removeArtifact: true,
      } satisfies CleanupRequest);
    },
    onSuccess: (result, image) => {
      setConfirming(null);
      setResults((all) => ({ ...all, [image.imageId]: result }));
    },
    onSettled: () => client.invalidateQueries({ queryKey: ["stale"] }),
  });
  const blocker = (image: StaleImage) =>
    firstReason(
      [!operator.isAllowed, operator.reason],
      [cleanup.isPending, "a cleanup is running"],
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
            const result = results[image.imageId];
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
                  {result && (
                    <div data-testid="cleanup-result">
                      freed {formatBytes(result.freedBytes)}
                      {result.hypervisors
                        .filter((h) => !h.ok)
                        .map((h) => (
                          <div className="error" key={h.name}>
                            {h.name}: {h.error}
                          </div>
                        ))}
                    </div>
                  )}
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
          onConfirm={() => cleanup.mutate(confirming)}
          onClose={() => setConfirming(null)}
          isPending={cleanup.isPending}
          error={cleanup.error?.message ?? null}
        />
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
