// The one Socket.io contract between server, agents (namespace /agent) and browsers (namespace /ui).
// Every receiver validates payloads with these schemas.
import { z } from "zod";
import { CellState } from "./states.ts";

export const AGENT_NAMESPACE = "/agent";
export const UI_NAMESPACE = "/ui";
export const PROTOCOL_VERSION = 1;

export const errorPayload = z.object({ code: z.string(), message: z.string() });
export type ErrorPayload = z.infer<typeof errorPayload>;
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorPayload };

const imageId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "image id: letters, digits, . _ -");
const hexDigest = z.string().regex(/^[0-9a-f]+$/i);

/**
 * A hypervisor's name as agents report it and URLs carry it: a host name (letters, digits,
 * . _ - and :), so no NUL, control character, slash or lone surrogate ever reaches a query or a path.
 */
export const HYPERVISOR_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,252}$/;
export const hypervisorName = z.string().regex(HYPERVISOR_NAME_PATTERN, "hypervisor name: a host name (letters, digits, . _ - :), at most 253 characters");

/**
 * What an agent presents when it connects (Socket.io `auth`): its name and either its own
 * credential (issued at enrolment) or the enrolment secret PRECACHE_AGENT_TOKEN, which lets a
 * name that has no credential yet enrol once.
 */
export const agentAuth = z.object({
  name: hypervisorName,
  credential: z.string().min(1).max(256).optional(),
  token: z.string().min(1).max(1024).optional(),
});
export type AgentAuth = z.infer<typeof agentAuth>;

/** A file found in the agent's cache dir. Names are sha1(image id); the server maps them back. */
export const cachedFile = z.object({ fileName: z.string(), bytes: z.number().int().nonnegative(), mtimeMs: z.number() });
export type CachedFile = z.infer<typeof cachedFile>;

/** What the agent is doing right now, so a restarted server can reconcile. */
export const activeDownload = z.object({ rolloutId: z.string(), imageId, bytes: z.number().int().nonnegative() });

export const agentHello = z.object({
  protocol: z.literal(PROTOCOL_VERSION),
  name: hypervisorName,
  version: z.string(),
  cacheDir: z.string(),
  freeBytes: z.number().nonnegative(),
  proxies: z.array(z.string()),
  /** Topology label (rack/room/cell) from --group; the operator's choice wins on the server. */
  group: z.string().max(128).optional(),
  inventory: z.array(cachedFile),
  active: z.array(activeDownload),
});

/**
 * The server's answer to a hello: proxies for agents without their own, images to keep fresh,
 * the only base URL artifact URLs may start with, and (at enrolment only) the agent's own
 * credential, which it must store and present from then on.
 */
export type AgentSettings = { proxies: string[]; pinned: string[]; artifactBaseUrl: string; credential?: string };
export type AgentHello = z.infer<typeof agentHello>;

export const imagePrecache = z.object({
  rolloutId: z.string(),
  imageId,
  artifactUrl: z.string().url(),
  codec: z.literal("gzip"),
  compressedSize: z.number().int().nonnegative().nullable(),
  imageSize: z.number().int().nonnegative().nullable(),
  hash: z.object({ algo: z.enum(["md5", "sha1", "sha256", "sha384", "sha512"]), value: hexDigest }),
  jitterMs: z.number().int().nonnegative().max(3_600_000).default(0),
  /** Per-agent cap on compressed bytes per second; null = unlimited. */
  bandwidthBytesPerSecond: z.number().int().positive().nullable().default(null),
  /** The last attempt got bad bytes: ask the proxies to fetch a fresh copy (Cache-Control: no-cache). */
  refreshCache: z.boolean().default(false),
  /** Glance's disk_format: an agent for nova with force_raw_images converts anything not raw. */
  diskFormat: z.string().nullable().default(null),
});
export type ImagePrecache = z.infer<typeof imagePrecache>;

export const imageDelete = z.object({ imageId });
export const imageAbort = z.object({ imageId, rolloutId: z.string() });
export type ImageAbort = z.infer<typeof imageAbort>;
export const settingsChanged = z.object({ proxies: z.array(z.string()), pinned: z.array(imageId), artifactBaseUrl: z.string() });
export type ImageDelete = z.infer<typeof imageDelete>;
export type ImageDeleteResult = { deleted: boolean; freedBytes: number };

export const downloadProgress = z.object({
  rolloutId: z.string(),
  imageId,
  bytes: z.number().int().nonnegative(),
  totalBytes: z.number().int().nonnegative().nullable(),
});
export type DownloadProgress = z.infer<typeof downloadProgress>;

export const downloadFinished = z.object({
  rolloutId: z.string(),
  imageId,
  ok: z.boolean(),
  bytes: z.number().int().nonnegative(),
  seconds: z.number().nonnegative(),
  error: errorPayload.optional(),
});
export type DownloadFinished = z.infer<typeof downloadFinished>;

export const inventoryReported = z.object({ freeBytes: z.number().nonnegative(), inventory: z.array(cachedFile) });
export type InventoryReported = z.infer<typeof inventoryReported>;

export type AgentToServerEvents = {
  "agent:hello": (hello: AgentHello, ack: (result: Ack<AgentSettings>) => void) => void;
  "download:progress": (progress: DownloadProgress) => void;
  "download:finished": (result: DownloadFinished) => void;
  "inventory:reported": (report: InventoryReported) => void;
};

export type ServerToAgentEvents = {
  "image:precache": (command: ImagePrecache, ack: (result: Ack<{ accepted: true }>) => void) => void;
  "image:delete": (command: ImageDelete, ack: (result: Ack<ImageDeleteResult>) => void) => void;
  "image:abort": (command: ImageAbort, ack: (result: Ack<{ aborted: boolean }>) => void) => void;
  "settings:changed": (settings: AgentSettings) => void;
};

// ---- browser ----

export type CellView = { imageId: string; state: CellState; bytes: number; totalBytes: number | null; error: string | null };
export type HypervisorView = {
  name: string;
  group: string | null;
  online: boolean;
  freeBytes: number | null;
  lastSeenAt: string;
  cells: CellView[];
};
export type ArtifactView = {
  state: string;
  codec: string;
  level: number;
  bytesRead: number;
  sourceSize: number | null;
  compressedSize: number | null;
  sha256: string | null;
  url: string | null;
  error: string | null;
};

export type UiSnapshot = { hypervisors: HypervisorView[] };
export type UiDelta = {
  hypervisors: Omit<HypervisorView, "cells">[];
  cells: (CellView & { hypervisor: string })[];
  artifacts: { imageId: string; artifact: ArtifactView }[];
  rollouts: { id: string; state: string }[];
};

export type ServerToUiEvents = {
  "state:snapshot": (snapshot: UiSnapshot) => void;
  "state:delta": (delta: UiDelta) => void;
};
export type UiToServerEvents = Record<string, never>;
