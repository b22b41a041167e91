"use client";
// Confirms deleting an image from every hypervisor's cache, naming how many hold it and the space.
import { formatBytes } from "../lib/api";
import { ConfirmDialog } from "./Modal";
import { useLiveStore } from "./Providers";

export function CleanupImageDialog({
  image,
  onConfirm,
  onClose,
  isPending,
  error,
}: {
  image: { id: string; name: string; size: number | null };
  onConfirm: () => void;
  onClose: () => void;
  isPending: boolean;
  error: string | null;
}) {
  const live = useLiveStore();
  let nodes = 0;
  let bytes = 0;
  for (const hypervisor of live.hypervisors.values()) {
    const cell = hypervisor.cells.get(image.id);
    if (!cell || cell.state === "absent") continue;
    nodes += 1;
    bytes += cell.state === "cached" ? (cell.totalBytes ?? image.size ?? cell.bytes) : cell.bytes;
  }
  return (
    <ConfirmDialog
      title={`Clean up ${image.name}?`}
      confirmLabel={`Delete from ${nodes} hypervisor${nodes === 1 ? "" : "s"}`}
      onConfirm={onConfirm}
      onClose={onClose}
      isPending={isPending}
      error={error}
    >
      <p data-testid="cleanup-summary">
        Deletes {image.name} from the cache of <strong>{nodes}</strong> hypervisor{nodes === 1 ? "" : "s"}, freeing about{" "}
        <strong>{formatBytes(bytes)}</strong>. Agents keep a copy that an instance disk is backed by or a process holds open, and say so.
      </p>
    </ConfirmDialog>
  );
}
