"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { formatBytes } from "../lib/api";
import { fleetCoverage, type FleetCoverage, type ImageCoverage } from "../lib/image-coverage";
import { plural } from "../lib/plural";
import { sourceBannerText } from "../lib/source-banner";
import {
  useCleanupMutation,
  useImageSourceQuery,
  useImagesQuery,
  usePermission,
  usePinMutation,
  usePublishMutation,
  useRolloutsQuery,
  useSyncMutation,
  type ImageRow,
} from "../lib/queries";
import type { RolloutHistoryRow } from "../protocol/api/rollouts";
import { AppShell } from "./AppShell";
import { CleanupImageDialog } from "./CleanupImageDialog";
import { CoverageCell } from "./CoverageCell";
import { useLiveStore } from "./Providers";
import { ReasonButton, firstReason } from "./ReasonButton";
import { RolloutDialog } from "./RolloutDialog";
import { EncryptedBadge, EncryptionNote, ImageOwnership } from "./ImageAccess";
import { useToast } from "./Toasts";
import { TableScroll } from "./TableScroll";

export function ImagesPage() {
  return (
    <AppShell title="Images">
      <ImagesTable />
    </AppShell>
  );
}

function ImagesTable() {
  const images = useImagesQuery();
  const source = useImageSourceQuery();
  const rollouts = useRolloutsQuery();
  const sync = useSyncMutation();
  const toast = useToast();
  const live = useLiveStore();
  // Where each image is now: nodes whose cell is cached (verified on disk), not the last rollout's tally.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the live map is mutated in place; its version says when it changed
  const fleet = useMemo(() => fleetCoverage(live.hypervisors.values()), [live.version]);
  const banner = sourceBannerText(source.data);
  const operator = usePermission("operator");
  if (images.isPending) return <p className="muted">Loading images…</p>;
  if (images.isError) return <p className="error">{images.error.message}</p>;
  return (
    <>
      {banner && (
        <p role="alert" className="error" data-testid="source-banner" style={{ marginBottom: 12 }}>
          {banner}
        </p>
      )}
      <div className="row" style={{ marginBottom: 12 }}>
        <button
          type="button"
          className="secondary"
          onClick={() =>
            sync.mutate(undefined, {
              onSuccess: (result) =>
                toast(`Re-read image source: ${plural(result.count, "image")}${result.removed ? `, ${result.removed} gone` : ""}`),
              onError: (caught) => toast(`Re-read failed: ${caught.message}`, { isError: true }),
            })
          }
          disabled={sync.isPending || !operator.isAllowed}
          title={operator.reason}
        >
          Re-read image source
        </button>
        {sync.isError && <span className="error">{sync.error.message}</span>}
        {operator.reason && (
          <span className="muted" data-testid="role-reason">
            Read-only: {operator.reason}
          </span>
        )}
      </div>
      <TableScroll label="Images" asCards>
        <table>
          <thead>
            <tr>
              <th>Image</th>
              <th>Status</th>
              <th>Size</th>
              <th>Artifact</th>
              <th>Coverage</th>
              <th>Latest rollout</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {images.data.map((image) => (
              <ImageRowView
                key={image.id}
                image={image}
                coverage={fleet.byImage.get(image.id) ?? fleet.none}
                fleet={fleet}
                rollout={rollouts.data?.find((r) => r.imageId === image.id)}
              />
            ))}
          </tbody>
        </table>
      </TableScroll>
      {images.data.length === 0 && (
        <p className="muted">No images. Configure Glance or put image files in the image directory, then re-read.</p>
      )}
    </>
  );
}

function ImageRowView({
  image,
  coverage,
  fleet,
  rollout,
}: {
  image: ImageRow;
  coverage: ImageCoverage;
  fleet: FleetCoverage;
  rollout?: RolloutHistoryRow;
}) {
  const publish = usePublishMutation();
  const cleanup = useCleanupMutation();
  const pin = usePinMutation();
  const router = useRouter();
  const toast = useToast();
  const operator = usePermission("operator");
  const [dialog, setDialog] = useState<"rollout" | "cleanup" | null>(null);
  const artifact = image.artifact;
  const isActive = image.status === "active";
  const isReady = artifact?.state === "ready";
  const error = publish.error ?? cleanup.error ?? pin.error;
  const publishBlocker = firstReason(
    [!operator.isAllowed, operator.reason],
    [!isActive, `the image is ${image.status}, not active`],
    [artifact?.state === "compressing", "already compressing"],
  );
  const precacheBlocker = firstReason(
    [!operator.isAllowed, operator.reason],
    [!isReady, artifact ? `the artifact is ${artifact.state}, not ready yet` : "not published yet: publish it first"],
  );
  const cleanupBlocker = firstReason([!operator.isAllowed, operator.reason], [cleanup.isPending, "cleaning up…"]);
  const pinBlocker = firstReason([!operator.isAllowed, operator.reason], [pin.isPending, "saving…"]);
  return (
    <tr data-testid={`image-${image.name}`}>
      <td data-label="Image">
        <div>{image.name}</div>
        <div className="muted" style={{ fontSize: 12 }}>
          {image.id}
        </div>
        <ImageOwnership image={image} />
      </td>
      <td data-label="Status">
        <span className="badge">{image.status}</span> <span className="muted">{image.diskFormat}</span>
        {image.pinned && (
          <span className="badge" data-testid="pinned" title="kept on every node: cleanup and eviction leave it">
            pinned
          </span>
        )}
      </td>
      <td data-label="Size">{formatBytes(image.size)}</td>
      <td data-label="Artifact" data-testid="artifact">
        {!artifact && <span className="muted">not published</span>}
        {artifact && (
          <div className="row">
            <span className={`badge ${artifact.state}`} data-testid="artifact-state">
              {artifact.state}
            </span>
            {artifact.state === "compressing" && (
              <span className="progress" title={`${formatBytes(artifact.bytesRead)} read`}>
                <span style={{ width: `${artifact.sourceSize ? (100 * artifact.bytesRead) / artifact.sourceSize : 0}%` }} />
              </span>
            )}
            {isReady && (
              <span className="muted">
                gzip -{artifact.level}, {formatBytes(artifact.compressedSize)}
              </span>
            )}
            <EncryptedBadge image={image} />
            {artifact.error && <span className="error">{artifact.error}</span>}
          </div>
        )}
      </td>
      <td data-label="On nodes" data-testid="holders">
        <CoverageCell coverage={coverage} fleet={fleet} />
      </td>
      <td data-label="Latest rollout" data-testid="rollout">
        {rollout ? (
          <Link href={`/rollouts/${rollout.id}`}>
            <span className={`badge ${rollout.state}`}>{rollout.state}</span>{" "}
            <span className="muted">
              {rollout.counts.done ?? 0} done, {rollout.counts.failed ?? 0} failed,{" "}
              {(rollout.counts.pending ?? 0) + (rollout.counts.downloading ?? 0)} open
            </span>
          </Link>
        ) : (
          <span className="muted">—</span>
        )}
        {rollout && (
          <div style={{ fontSize: 12 }}>
            <Link href={`/rollouts?imageId=${encodeURIComponent(image.id)}`}>all rollouts</Link>
          </div>
        )}
      </td>
      <td data-label="">
        <div className="row">
          <ReasonButton
            onClick={() => publish.mutate(image.id)}
            disabled={Boolean(publishBlocker) || publish.isPending}
            reason={publishBlocker}
          >
            Publish
          </ReasonButton>
          <ReasonButton onClick={() => setDialog("rollout")} disabled={Boolean(precacheBlocker)} reason={precacheBlocker}>
            Precache…
          </ReasonButton>
          <ReasonButton
            className="secondary"
            disabled={Boolean(pinBlocker)}
            reason={pinBlocker}
            onClick={() =>
              pin.mutate(
                { imageId: image.id, pinned: !image.pinned },
                { onSuccess: () => toast(`${image.name} ${image.pinned ? "unpinned" : "pinned: kept on every node"}`) },
              )
            }
          >
            {image.pinned ? "Unpin" : "Pin"}
          </ReasonButton>
          <ReasonButton
            className="secondary"
            onClick={() => setDialog("cleanup")}
            disabled={Boolean(cleanupBlocker)}
            reason={cleanupBlocker}
          >
            Clean up
          </ReasonButton>
          {dialog === "rollout" && <RolloutDialog image={image} onClose={() => setDialog(null)} />}
          {dialog === "cleanup" && (
            <CleanupImageDialog
              image={image}
              isPending={cleanup.isPending}
              error={cleanup.error?.message ?? null}
              onClose={() => setDialog(null)}
              onConfirm={() =>
                cleanup.mutate(
                  { imageId: image.id },
                  {
                    onSuccess: ({ cleanup: started }) => {
                      setDialog(null);
                      router.push(`/cleanups/${started.id}`);
                    },
                  },
                )
              }
            />
          )}
        </div>
        <EncryptionNote image={image} />
        {error && (
          <div className="error" role="alert">
            {error.message}
          </div>
        )}
      </td>
    </tr>
  );
}
