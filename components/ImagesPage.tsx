"use client";
import Link from "next/link";
import { useState } from "react";
import { formatBytes } from "../lib/api";
import { sourceBannerText } from "../lib/source-banner";
import {
  useCleanupMutation,
  useImageSourceQuery,
  useImagesQuery,
  usePermission,
  usePublishMutation,
  useRolloutMutation,
  useRolloutsQuery,
  useSyncMutation,
  type ImageRow,
} from "../lib/queries";
import type { RolloutSummary } from "../protocol/api/rollouts";
import { AppShell } from "./AppShell";
import { EncryptedBadge, EncryptionNote, ImageOwnership } from "./ImageAccess";

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
          onClick={() => sync.mutate()}
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
      <table>
        <thead>
          <tr>
            <th>Image</th>
            <th>Status</th>
            <th>Size</th>
            <th>Artifact</th>
            <th>Latest rollout</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {images.data.map((image) => (
            <ImageRowView key={image.id} image={image} rollout={rollouts.data?.find((r) => r.imageId === image.id)} />
          ))}
        </tbody>
      </table>
      {images.data.length === 0 && (
        <p className="muted">No images. Configure Glance or put image files in the image directory, then re-read.</p>
      )}
    </>
  );
}

function ImageRowView({ image, rollout }: { image: ImageRow; rollout?: RolloutSummary }) {
  const publish = usePublishMutation();
  const precache = useRolloutMutation();
  const cleanup = useCleanupMutation();
  const operator = usePermission("operator");
  const [message, setMessage] = useState<string | null>(null);
  const artifact = image.artifact;
  const isActive = image.status === "active";
  const isReady = artifact?.state === "ready";
  const error = publish.error ?? precache.error ?? cleanup.error;
  return (
    <tr data-testid={`image-${image.name}`}>
      <td>
        <div>{image.name}</div>
        <div className="muted" style={{ fontSize: 12 }}>
          {image.id}
        </div>
        <ImageOwnership image={image} />
      </td>
      <td>
        <span className="badge">{image.status}</span> <span className="muted">{image.diskFormat}</span>
      </td>
      <td>{formatBytes(image.size)}</td>
      <td data-testid="artifact">
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
      <td data-testid="rollout">
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
      </td>
      <td>
        <div className="row">
          <button
            type="button"
            onClick={() => publish.mutate(image.id)}
            disabled={!isActive || publish.isPending || artifact?.state === "compressing" || !operator.isAllowed}
            title={operator.reason}
          >
            Publish
          </button>
          <button
            type="button"
            onClick={() => precache.mutate({ imageId: image.id }, { onSuccess: () => setMessage("rollout started") })}
            disabled={!isReady || precache.isPending || !operator.isAllowed}
            title={operator.reason}
          >
            Precache to all
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              if (window.confirm(`Delete ${image.name} from every hypervisor's cache?`)) {
                cleanup.mutate(image.id, { onSuccess: (result) => setMessage(`freed ${formatBytes(result.freedBytes)}`) });
              }
            }}
            disabled={cleanup.isPending || !operator.isAllowed}
            title={operator.reason}
          >
            Clean up
          </button>
        </div>
        <EncryptionNote image={image} />
        {error && (
          <div className="error" role="alert">
            {error.message}
          </div>
        )}
        {message && !error && <div className="muted">{message}</div>}
      </td>
    </tr>
  );
}
