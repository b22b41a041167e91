// The one Socket.io contract between server, agents (namespace /agent) and browsers (namespace /ui).
// Every receiver validates payloads with these schemas.
import { z } from "zod";
import { type ErrorCode, errorCodeSchema } from "./errors.ts";
import { groupName, hypervisorName, imageId, proxyUrl, rolloutId } from "./ids.ts";
import { BASE_FILE_PATTERN } from "./nova-files.ts";

export const AGENT_NAMESPACE = "/agent";
export const PROTOCOL_VERSION = 1;

/**
 * Free text that is stored and shown (error messages): bounded, no NUL (Postgres text cannot
 * hold it) and no lone surrogate (Prisma's query protocol cannot carry it: the write fails).
 */
const storedText = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\0\p{Cs}]*$/u, "no NUL characters or lone surrogates");
export const errorPayload = z.object({ code: errorCodeSchema, message: storedText(4096) });
export type ErrorPayload = z.infer<typeof errorPayload>;

/**
 * An agent's failure as it reports it. Agents are upgraded apart from the server: a code this
 * server does not know (a newer agent's) is kept as FAILED, not retried, with the agent's code in
 * the message, rather than refused (a refused result would be sent again forever).
 */
export const agentErrorPayload = z
  .object({ code: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, "error code: A-Z, 0-9, _"), message: storedText(4096) })
  .transform(({ code, message }): ErrorPayload => {
    const known = errorCodeSchema.safeParse(code);
    return known.success ? { code: known.data, message } : { code: "FAILED", message: `${code}: ${message}`.slice(0, 4096) };
  });
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorPayload };

const hexDigest = z.string().regex(/^[0-9a-f]+$/i);

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
export const cachedFile = z.object({
  fileName: z.string().regex(BASE_FILE_PATTERN, "base file name: sha1 hex"),
  bytes: z.number().int().nonnegative(),
  mtimeMs: z.number().min(-1e13).max(1e14),
});
export type CachedFile = z.infer<typeof cachedFile>;

/**
 * A real _base holds hundreds of files. The cap keeps one inventory cheap to parse and look up,
 * and sizes the Socket.io message limit (see MAX_AGENT_MESSAGE_BYTES).
 */
export const MAX_INVENTORY_FILES = 20_000;
const inventory = z.array(cachedFile).max(MAX_INVENTORY_FILES);

/** What the agent is doing right now, so a restarted server can reconcile. */
export const activeDownload = z.object({ rolloutId, imageId, bytes: z.number().int().nonnegative() });

export const agentHello = z.object({
  protocol: z.literal(PROTOCOL_VERSION),
  name: hypervisorName,
  version: storedText(64),
  cacheDir: storedText(4096),
  freeBytes: z.number().nonnegative().max(Number.MAX_SAFE_INTEGER),
  proxies: z.array(proxyUrl).max(16),
  /** Topology label (rack/room/cell) from --group; the operator's choice wins on the server. */
  group: groupName.optional(),
  /** Where this agent serves artifacts to its group (peer tier), when started with --peer-listen. */
  peerUrl: z
    .string()
    .max(300)
    .regex(/^http:\/\/[A-Za-z0-9.:[\]-]+:\d{1,5}$/, "peer URL: http://address:port")
    .optional(),
  inventory,
  active: z.array(activeDownload).max(100),
});

/**
 * The server's answer to a hello: proxies for agents without their own, images to keep fresh,
 * the only base URL artifact URLs may start with, and (at enrolment only) the agent's own
 * credential, which it must store and present from then on.
 */
export type AgentSettings = { proxies: string[]; pinned: string[]; artifactBaseUrl: string; credential?: string };
export type AgentHello = z.infer<typeof agentHello>;

export const DEFAULT_RETRY_BUDGET_SECONDS = 600;

export const imagePrecache = z.object({
  rolloutId,
  imageId,
  artifactUrl: z.string().url(),
  codec: z.literal("gzip"),
  compressedSize: z.number().int().nonnegative().nullable(),
  imageSize: z.number().int().nonnegative().nullable(),
  /**
   * Glance's virtual_size, when the server has it (absent from older servers): an image whose
   * header declares a bigger disk is refused (VIRTUAL_SIZE_EXCEEDED) before it is converted.
   */
  virtualSize: z.number().int().nonnegative().nullable().default(null),
  hash: z.object({ algo: z.enum(["md5", "sha1", "sha256", "sha384", "sha512"]), value: hexDigest }),
  jitterMs: z.number().int().nonnegative().max(3_600_000).default(0),
  /** Per-agent cap on compressed bytes per second; null = unlimited. */
  bandwidthBytesPerSecond: z.number().int().positive().nullable().default(null),
  /** The last attempt got bad bytes: ask the proxies to fetch a fresh copy (Cache-Control: no-cache). */
  refreshCache: z.boolean().default(false),
  /** Glance's disk_format: an agent for nova with force_raw_images converts anything not raw. */
  diskFormat: z.string().nullable().default(null),
  /** A broken transfer resumes (Range, same byte) until this long passes without a new byte. */
  retryBudgetSeconds: z.number().int().positive().max(86_400).default(DEFAULT_RETRY_BUDGET_SECONDS),
  /**
   * The artifact is sealed (protocol/sealed-stream.ts): its 32-byte key, base64. Sent only over
   * this authenticated channel, only to rollout targets; never logged, stored or shown.
   */
  sealedKey: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, "sealed key: base64 of 32 bytes")
    .nullable()
    .default(null),
  /** Peer tier: group members to fetch from first (each once), then the proxies, from the same byte. */
  peers: z
    .array(
      z.object({
        name: hypervisorName,
        url: z
          .string()
          .max(400)
          .regex(/^http:\/\/[^\s]+$/),
      }),
    )
    .max(8)
    .default([]),
  /** Peer tier: this rollout's token (to fetch from peers, and what peers must present to us); null = no peer tier. */
  peerToken: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,128}$/)
    .nullable()
    .default(null),
  /** Until when (ms since the epoch) this agent may serve the artifact to the rollout's peers. */
  peerUntil: z.number().int().nonnegative().nullable().default(null),
  /**
   * Which dispatch of this rollout's target the command is (the server counts up at every claim).
   * A command for a claim the agent already has (running or finished) is a repeat: it is answered
   * from what the agent knows and never starts a second download. Absent from older servers.
   */
  claim: z.number().int().nonnegative().max(2_147_483_647).optional(),
});
export type ImagePrecache = z.infer<typeof imagePrecache>;

export const imageDelete = z.object({ imageId });
export const imageAbort = z.object({ imageId, rolloutId });
export type ImageAbort = z.infer<typeof imageAbort>;
export const settingsChanged = z.object({ proxies: z.array(z.string()), pinned: z.array(imageId), artifactBaseUrl: z.string() });
export type ImageDelete = z.infer<typeof imageDelete>;
export const imageDeleteResult = z.object({
  deleted: z.boolean(),
  freedBytes: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});
export type ImageDeleteResult = z.infer<typeof imageDeleteResult>;
/** An agent's answer to image:delete, checked like anything else it sends. */
export const imageDeleteAck = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), data: imageDeleteResult }),
  z.object({ ok: z.literal(false), error: agentErrorPayload }),
]);

export const downloadProgress = z.object({
  rolloutId,
  imageId,
  bytes: z.number().int().nonnegative(),
  totalBytes: z.number().int().nonnegative().nullable(),
});
export type DownloadProgress = z.infer<typeof downloadProgress>;

/**
 * A download's outcome. Request-style: the server acks once the result is durably written, and the
 * agent re-sends it (same `resultId`, a uuid it made) until then; the server applies it once.
 */
export const downloadFinished = z.object({
  resultId: z.string().uuid(),
  rolloutId,
  imageId,
  ok: z.boolean(),
  bytes: z.number().int().nonnegative(),
  seconds: z.number().nonnegative().max(1e9),
  error: agentErrorPayload.optional(),
  /** Compressed bytes per source ("peer:<name>", a proxy URL or "direct"). */
  sources: z
    .array(z.object({ source: storedText(300), bytes: z.number().int().nonnegative() }))
    .max(16)
    .optional(),
});
export type DownloadFinished = z.infer<typeof downloadFinished>;
/** `recorded: false`: already recorded, or for a target no longer open (nothing changed). */
export type DownloadFinishedResult = { resultId: string; recorded: boolean };
/** The ack's error code when the server could not write the result now (database trouble): send again later. */
export const RESULT_RETRY = "RETRY" satisfies ErrorCode;

export const inventoryReported = z.object({ freeBytes: z.number().nonnegative().max(Number.MAX_SAFE_INTEGER), inventory });

/**
 * The largest message an agent legitimately sends is a hello or inventory at MAX_INVENTORY_FILES.
 * One file is at most {"fileName":"<40>","bytes":<16 digits>,"mtimeMs":<20 chars>}, = 112 bytes
 * with its comma: 20,000 × 112 = 2,240,000 bytes; a hello adds at most 100 active downloads × 218
 * (21,800), 16 proxies × 2,048 (32,768), a cacheDir of 4,096 characters escaped as \uXXXX (24,576)
 * and a few hundred bytes more: 2.32 MB in all, under this 2.5 MiB (2,621,440). Socket.io drops
 * anything larger before parsing it, authenticated or not (it was 4 MiB).
 */
export const MAX_AGENT_MESSAGE_BYTES = 2.5 * 1024 * 1024;
export type InventoryReported = z.infer<typeof inventoryReported>;

export type AgentToServerEvents = {
  "agent:hello": (hello: AgentHello, ack: (result: Ack<AgentSettings>) => void) => void;
  "download:progress": (progress: DownloadProgress) => void;
  "download:finished": (result: DownloadFinished, ack: (result: Ack<DownloadFinishedResult>) => void) => void;
  /** Acked once written; a full snapshot, so the agent answers a failure by sending a fresh one later. */
  "inventory:reported": (report: InventoryReported, ack: (result: Ack<{ recorded: true }>) => void) => void;
};

export type ServerToAgentEvents = {
  "image:precache": (command: ImagePrecache, ack: (result: Ack<{ accepted: true }>) => void) => void;
  "image:delete": (command: ImageDelete, ack: (result: Ack<ImageDeleteResult>) => void) => void;
  "image:abort": (command: ImageAbort, ack: (result: Ack<{ aborted: boolean }>) => void) => void;
  "settings:changed": (settings: AgentSettings) => void;
};

/** The server's commands an agent answers (with an ack), and what that ack carries per command. */
export type AgentCommand = "image:precache" | "image:delete" | "image:abort";
export type AckOf<E extends AgentCommand> = Parameters<Parameters<ServerToAgentEvents[E]>[1]>[0];
