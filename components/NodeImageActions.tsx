"use client";
// A node page's actions on one of its images: remove the node's copy, or fetch and verify it again.
// Each asks first, naming node, image and size; each says why it cannot act (offline, role, pinned).
import { useState } from "react";
import { formatBytes } from "../lib/api";
import { useRefetchNodeImageMutation, useRemoveNodeImageMutation } from "../lib/node-image-queries";
import { usePermission, type ImageRow } from "../lib/queries";
import { ConfirmDialog } from "./Modal";
import { ReasonButton, firstReason } from "./ReasonButton";
import { useToast } from "./Toasts";

export type NodeImage = { imageId: string; name: string; bytes: number; image: ImageRow | undefined };

export function NodeImageActions({ node, isOnline, entry }: { node: string; isOnline: boolean; entry: NodeImage }) {
  const remove = useRemoveNodeImageMutation();
  const refetch = useRefetchNodeImageMutation();
  const operator = usePermission("operator");
  const toast = useToast();
  const [dialog, setDialog] = useState<"remove" | "refetch" | null>(null);
  const target = { hypervisor: node, imageId: entry.imageId };
  const size = formatBytes(entry.bytes || entry.image?.size);
  const common: [boolean, string | undefined][] = [
    [!operator.isAllowed, operator.reason],
    [!isOnline, `${node} is offline: its agent must be connected`],
  ];
  const removeBlocker = firstReason(
    ...common,
    [entry.image?.pinned === true, `${entry.name} is pinned (kept on every node): unpin it on Images first`],
    [remove.isPending, "removing…"],
  );
  const refetchBlocker = firstReason(
    ...common,
    [entry.image?.artifact?.state !== "ready", `${entry.name} is not published: publish it on Images first`],
    [refetch.isPending, "starting…"],
  );
  const close = () => setDialog(null);
  return (
    <div className="row">
      <ReasonButton
        className="secondary"
        onClick={() => setDialog("refetch")}
        disabled={Boolean(refetchBlocker)}
        reason={refetchBlocker}
        aria-label={`Re-fetch ${entry.name}`}
      >
        Re-fetch…
      </ReasonButton>
      <ReasonButton
        className="secondary"
        onClick={() => setDialog("remove")}
        disabled={Boolean(removeBlocker)}
        reason={removeBlocker}
        aria-label={`Remove ${entry.name} from this node`}
      >
        Remove…
      </ReasonButton>
      {dialog === "remove" && (
        <ConfirmDialog
          title={`Remove ${entry.name} from ${node}?`}
          confirmLabel={`Remove from ${node}`}
          onClose={close}
          isPending={remove.isPending}
          error={remove.error?.message ?? null}
          onConfirm={() =>
            remove.mutate(target, {
              onSuccess: (result) => {
                close();
                toast(`${entry.name} removed from ${node}: freed ${formatBytes(result.freedBytes)}`);
              },
              onError: (caught) => toast(`Removing ${entry.name} from ${node} failed: ${caught.message}`, { isError: true }),
            })
          }
        >
          <p data-testid="remove-summary">
            The agent on <strong>{node}</strong> deletes its cached copy of <strong>{entry.name}</strong> (<strong>{size}</strong>), unless
            an instance disk is backed by it or a process holds it open. Other nodes keep theirs.
          </p>
        </ConfirmDialog>
      )}
      {dialog === "refetch" && (
        <ConfirmDialog
          title={`Re-fetch ${entry.name} on ${node}?`}
          confirmLabel={`Re-fetch on ${node}`}
          onClose={close}
          isPending={refetch.isPending}
          error={refetch.error?.message ?? null}
          onConfirm={() =>
            refetch.mutate(target, {
              onSuccess: (result) => {
                close();
                toast(`Re-fetching ${entry.name} on ${node}: rollout ${result.rollout.id.slice(0, 8)} started`);
              },
              onError: (caught) => toast(`Re-fetching ${entry.name} on ${node} failed: ${caught.message}`, { isError: true }),
            })
          }
        >
          <p data-testid="refetch-summary">
            <strong>{node}</strong> downloads <strong>{entry.name}</strong> (<strong>{size}</strong>) again through its proxies, verifies it
            against the image's hash and only then replaces its copy. It runs as a one-node rollout, listed under Rollouts.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
