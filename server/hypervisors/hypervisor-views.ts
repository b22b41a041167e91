// Database rows → the hypervisor shapes of the contract (protocol/api/hypervisors.ts, protocol/ui.ts).
import type { HypervisorDetail } from "../../protocol/api/hypervisors.ts";
import type { CellState } from "../../protocol/states.ts";
import type { CellView, HypervisorHeader } from "../../protocol/ui.ts";
import type { Hypervisor, HypervisorImage } from "../db/generated/client.ts";

export function toHypervisorApiView(row: Hypervisor & { images: HypervisorImage[] }): HypervisorDetail {
  return {
    name: row.name,
    online: row.online,
    version: row.version,
    cacheDir: row.cacheDir,
    proxies: row.proxies,
    group: row.group,
    lastSeenAt: row.lastSeenAt.toISOString(),
    freeBytes: row.freeBytes === null ? null : Number(row.freeBytes),
    images: row.images.map((image) => ({
      imageId: image.imageId,
      state: image.state as CellState,
      bytes: Number(image.bytes),
      verified: image.verified,
      error: image.error,
      lastUsedAt: image.fileMtime?.toISOString() ?? null,
    })),
  };
}

export function toHypervisorHeader(row: Pick<Hypervisor, "name" | "group" | "online" | "freeBytes" | "lastSeenAt">): HypervisorHeader {
  return {
    name: row.name,
    group: row.group,
    online: row.online,
    freeBytes: row.freeBytes === null ? null : Number(row.freeBytes),
    lastSeenAt: row.lastSeenAt.toISOString(),
  };
}

export function toCellView(
  row: Pick<HypervisorImage, "imageId" | "state" | "bytes" | "error"> & { updatedAt?: Date },
  totalBytes: number | null,
): CellView {
  const at = row.updatedAt?.getTime() ?? Date.now();
  return { imageId: row.imageId, state: row.state as CellState, bytes: Number(row.bytes), totalBytes, error: row.error, at };
}
