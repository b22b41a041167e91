import type { CellView, HypervisorView } from "../../protocol/events.ts";
import type { CellState } from "../../protocol/states.ts";
import type { Hypervisor, HypervisorImage } from "../db/generated/client.ts";

export type HypervisorApiView = {
  name: string;
  online: boolean;
  version: string | null;
  cacheDir: string | null;
  proxies: string[];
  group: string | null;
  lastSeenAt: string;
  freeBytes: number | null;
  images: { imageId: string; state: string; bytes: number; verified: boolean; error: string | null; lastUsedAt: string | null }[];
};

export function toHypervisorApiView(row: Hypervisor & { images: HypervisorImage[] }): HypervisorApiView {
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
      state: image.state,
      bytes: Number(image.bytes),
      verified: image.verified,
      error: image.error,
      lastUsedAt: image.fileMtime?.toISOString() ?? null,
    })),
  };
}

export function toHypervisorHeader(
  row: Pick<Hypervisor, "name" | "group" | "online" | "freeBytes" | "lastSeenAt">,
): Omit<HypervisorView, "cells"> {
  return {
    name: row.name,
    group: row.group,
    online: row.online,
    freeBytes: row.freeBytes === null ? null : Number(row.freeBytes),
    lastSeenAt: row.lastSeenAt.toISOString(),
  };
}

export function toCellView(row: Pick<HypervisorImage, "imageId" | "state" | "bytes" | "error">, totalBytes: number | null): CellView {
  return { imageId: row.imageId, state: row.state as CellState, bytes: Number(row.bytes), totalBytes, error: row.error };
}
