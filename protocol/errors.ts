// Every error code the server or an agent puts on the wire (REST bodies, acks, download results,
// connect refusals): one closed vocabulary, each code with the HTTP status it answers with and
// whether a failed download with that code is worth another attempt.
import { z } from "zod";

type ErrorCodeFacts = {
  /** The HTTP status an AppError with this code answers with (socket-only codes: what it would be). */
  status: number;
  /** A failed download with this code is retried (another attempt, maybe through another proxy). */
  retryable: boolean;
};

const fails = (status: number): ErrorCodeFacts => ({ status, retryable: false });
const retries = (status: number): ErrorCodeFacts => ({ status, retryable: true });

export const ERROR_CODES = {
  // ---- REST (server/errors.ts AppError) ----
  VALIDATION_FAILED: fails(422),
  BAD_REQUEST: fails(400),
  UNAUTHORIZED: fails(401),
  FORBIDDEN: fails(403),
  NOT_FOUND: fails(404),
  METHOD_NOT_ALLOWED: fails(405),
  CONFLICT: fails(409),
  PAYLOAD_TOO_LARGE: fails(413),
  UNSUPPORTED_MEDIA_TYPE: fails(415),
  TOO_MANY_REQUESTS: fails(429),
  IMAGE_NOT_FOUND: fails(404),
  IMAGE_NOT_ACTIVE: fails(409),
  IMAGE_HAS_NO_DATA: fails(409),
  ARTIFACT_NOT_READY: fails(409),
  PUBLISH_IN_PROGRESS: fails(409),
  NO_TARGETS: fails(409),
  /** PRECACHE_ALLOWED_PROJECTS does not list the owner of this non-public image. */
  PROJECT_NOT_ALLOWED: fails(403),
  ROLLOUT_FINISHED: fails(409),
  /** An action on one node that needs its agent connected now (remove or re-fetch an image there). */
  NODE_OFFLINE: fails(409),
  /** A pinned image is kept on every node: removing it from one is refused (unpin it first). */
  IMAGE_PINNED: fails(409),
  GLANCE_UNREACHABLE: fails(502),
  GLANCE_AUTH_FAILED: fails(502),
  GLANCE_ERROR: fails(502),
  /** Keystone's catalog has no image endpoint for OS_REGION_NAME/OS_INTERFACE: a setting, found at runtime. */
  GLANCE_NOT_IN_CATALOG: fails(502),
  KEYSTONE_UNAVAILABLE: fails(502),
  /** Also an agent's: no space left in its cache dir (retrying would fill it again). */
  DISK_FULL: fails(507),
  DATABASE_UNAVAILABLE: fails(503),
  CONFIG_INVALID: fails(500),
  /** A sealed artifact's key is wrapped with a KEK this server no longer has (rotation without PRECACHE_KEK_PREVIOUS). */
  KEY_UNAVAILABLE: fails(500),
  /** A sealed artifact's target that is not enrolled or whose credential is revoked: no key is sent. */
  KEY_REFUSED: fails(403),
  INTERNAL: fails(500),

  // ---- server ↔ agent acks ----
  /** The agent is not connected: the command waits for it (not counted as an attempt). */
  OFFLINE: fails(503),
  /**
   * Not delivered: the node's hello since this command's claim showed the claim lost, and the
   * target was put back for a new one (not counted as an attempt; the new claim is sent instead).
   */
  SUPERSEDED: fails(409),
  /** No answer (or no progress) in time; also an agent's download that stalled. */
  TIMEOUT: retries(504),
  /** The receiver has not finished its hello yet. */
  NOT_READY: retries(503),
  /** The server could not write a result or inventory now: the agent sends it again later. */
  RETRY: fails(503),
  INVALID_HELLO: fails(422),
  INVALID_RESULT: fails(422),
  INVALID_INVENTORY: fails(422),
  SECOND_HELLO: fails(409),
  NAME_MISMATCH: fails(403),
  /** A failed download result that came without an error (older or faulty agent). */
  FAILED: fails(500),

  // ---- agent connection refusals (connect_error data.code; protocol/agents.ts) ----
  INVALID_AUTH: fails(401),
  BAD_TOKEN: fails(401),
  NOT_ENROLLED: fails(401),
  BAD_CREDENTIAL: fails(401),
  REVOKED: fails(403),
  NAME_IN_USE: fails(409),
  SERVER_ERROR: fails(500),

  // ---- agent download and delete results (protocol/states.ts AgentErrorCode) ----
  INVALID_COMMAND: fails(422),
  BUSY: retries(409),
  FETCH_FAILED: retries(502),
  HTTP_ERROR: retries(502),
  DECOMPRESS_FAILED: retries(502),
  /** A sealed artifact failed authentication (tampered, truncated, reordered): the retry asks Squid for a fresh copy. */
  DECRYPT_FAILED: retries(502),
  SIZE_MISMATCH: retries(502),
  HASH_MISMATCH: retries(502),
  UNSUPPORTED_HASH: fails(422),
  WRITE_FAILED: retries(500),
  IN_USE: fails(409),
  UNSAFE_IMAGE: fails(422),
  FORMAT_MISMATCH: fails(422),
  UNSAFE_PATH: fails(409),
  CONVERT_UNAVAILABLE: fails(501),
  CONVERT_FAILED: fails(500),
  /** The image's header declares a bigger disk than Glance's virtual_size: its raw copy would be bigger than Glance says. */
  VIRTUAL_SIZE_EXCEEDED: fails(422),
  /** qemu-img convert reached the raw copy's file-size limit (the free space less the margin). */
  CONVERT_TOO_LARGE: fails(507),
  ABORTED: fails(409),
} as const satisfies Record<string, ErrorCodeFacts>;

export type ErrorCode = keyof typeof ERROR_CODES;
export const errorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

/** The codes a failed download may be retried for: the table's retryable ones. */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set(
  (Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) => ERROR_CODES[code].retryable),
);

export function isRetryableCode(code: string): boolean {
  return RETRYABLE_CODES.has(code as ErrorCode);
}

export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}
