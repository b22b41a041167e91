// Status vocabularies shared by server, agent and browser.
import type { ErrorCode } from "./errors.ts";

export const ArtifactState = { pending: "pending", compressing: "compressing", ready: "ready", failed: "failed" } as const;
export type ArtifactState = (typeof ArtifactState)[keyof typeof ArtifactState];

/** State of one image on one hypervisor, as the heatmap colours it. */
export const CellState = {
  absent: "absent",
  pending: "pending",
  downloading: "downloading",
  cached: "cached",
  failed: "failed",
} as const;
export type CellState = (typeof CellState)[keyof typeof CellState];

export const TargetState = {
  pending: "pending",
  downloading: "downloading",
  done: "done",
  failed: "failed",
  cancelled: "cancelled",
} as const;
export type TargetState = (typeof TargetState)[keyof typeof TargetState];

export const RolloutState = { running: "running", paused: "paused", done: "done", failed: "failed", cancelled: "cancelled" } as const;
export type RolloutState = (typeof RolloutState)[keyof typeof RolloutState];

/** Why an agent could not place an image. Stable strings: operators grep for them. */
export const AgentErrorCode = {
  invalidCommand: "INVALID_COMMAND",
  busy: "BUSY",
  diskFull: "DISK_FULL",
  fetchFailed: "FETCH_FAILED",
  httpError: "HTTP_ERROR",
  decompressFailed: "DECOMPRESS_FAILED",
  /** A sealed (encrypted) artifact failed authentication: tampered, truncated, reordered, or the wrong key. */
  decryptFailed: "DECRYPT_FAILED",
  sizeMismatch: "SIZE_MISMATCH",
  hashMismatch: "HASH_MISMATCH",
  unsupportedHash: "UNSUPPORTED_HASH",
  writeFailed: "WRITE_FAILED",
  inUse: "IN_USE",
  /** The image would make qemu open other files (backing/data file, VMDK extents, parents) or cannot be inspected safely. */
  unsafeImage: "UNSAFE_IMAGE",
  /** The image's bytes are not the format Glance declares (e.g. a qcow2 uploaded as raw). */
  formatMismatch: "FORMAT_MISMATCH",
  /** A symlink or other non-regular file sits where the agent must write or replace a file. */
  unsafePath: "UNSAFE_PATH",
  /** A non-raw image, nova's force_raw_images on, and no qemu-img on the hypervisor. */
  convertUnavailable: "CONVERT_UNAVAILABLE",
  convertFailed: "CONVERT_FAILED",
  /** The image's header declares a bigger disk than Glance's virtual_size. */
  virtualSizeExceeded: "VIRTUAL_SIZE_EXCEEDED",
  /** qemu-img's raw output reached its file-size limit. */
  convertTooLarge: "CONVERT_TOO_LARGE",
  aborted: "ABORTED",
  timeout: "TIMEOUT",
} as const satisfies Record<string, ErrorCode>;
export type AgentErrorCode = (typeof AgentErrorCode)[keyof typeof AgentErrorCode];
