// The Socket.io contract between the server and browsers (namespace /ui): a snapshot on connect,
// then deltas. Browser-safe (no node: imports); the dashboard validates what it receives with
// these schemas in development builds (lib/dev-check.ts).
import { z } from "zod";
import { cleanupArtifact, cleanupNodeRow, CleanupState } from "./api/cleanup.ts";
import { artifactView } from "./api/images.ts";
import { CellState, RolloutState } from "./states.ts";

export const UI_NAMESPACE = "/ui";

export const cellView = z.object({
  imageId: z.string(),
  state: z.enum(CellState),
  bytes: z.number(),
  totalBytes: z.number().nullable(),
  error: z.string().nullable(),
  /**
   * When the writing server changed it (ms since the epoch). Several servers write cells (the
   * leader at dispatch, the agent's server with progress and results) and their deltas travel
   * separately: a receiver keeps the newer of two versions, never steps back to an older one.
   */
  at: z.number(),
});
export type CellView = z.infer<typeof cellView>;

export const hypervisorHeader = z.object({
  name: z.string(),
  group: z.string().nullable(),
  online: z.boolean(),
  freeBytes: z.number().nullable(),
  lastSeenAt: z.string(),
});
export type HypervisorHeader = z.infer<typeof hypervisorHeader>;

export const hypervisorView = hypervisorHeader.extend({ cells: z.array(cellView) });
export type HypervisorView = z.infer<typeof hypervisorView>;

export const uiSnapshot = z.object({ hypervisors: z.array(hypervisorView) });
export type UiSnapshot = z.infer<typeof uiSnapshot>;

/**
 * A cleanup's news since the last flush: its state, the node outcomes that arrived (each node at
 * most once per delta, the latest), and its artifact step when that changed.
 */
export const cleanupDelta = z.object({
  id: z.string(),
  imageId: z.string(),
  state: z.enum(CleanupState),
  nodes: z.array(cleanupNodeRow),
  artifact: cleanupArtifact.nullable(),
});
export type CleanupDelta = z.infer<typeof cleanupDelta>;

export const uiDelta = z.object({
  hypervisors: z.array(hypervisorHeader),
  cells: z.array(cellView.extend({ hypervisor: z.string() })),
  artifacts: z.array(z.object({ imageId: z.string(), artifact: artifactView })),
  rollouts: z.array(z.object({ id: z.string(), state: z.enum(RolloutState) })),
  /** Absent from a server of an older version (several servers, upgraded one at a time). */
  cleanups: z.array(cleanupDelta).default([]),
});
export type UiDelta = z.infer<typeof uiDelta>;

export type ServerToUiEvents = {
  "state:snapshot": (snapshot: UiSnapshot) => void;
  "state:delta": (delta: UiDelta) => void;
};
export type UiToServerEvents = Record<string, never>;

/** Whether `incoming` may replace `current`: only a version at least as new (see cellView.at). */
export function isNewerCell(incoming: Pick<CellView, "at">, current: Pick<CellView, "at"> | undefined): boolean {
  return current === undefined || incoming.at >= current.at;
}

/** Each event's payload schema, for the browser's development-time check. */
export const uiEventSchemas = { "state:snapshot": uiSnapshot, "state:delta": uiDelta } as const;
