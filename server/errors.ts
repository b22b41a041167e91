// One error type for the whole backend; converted to HTTP/ack/exit code only at the edges.
export const errorStatus = {
  VALIDATION_FAILED: 422,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  CONFLICT: 409,
  NOT_FOUND: 404,
  IMAGE_NOT_FOUND: 404,
  IMAGE_NOT_ACTIVE: 409,
  IMAGE_HAS_NO_DATA: 409,
  ARTIFACT_NOT_READY: 409,
  PUBLISH_IN_PROGRESS: 409,
  NO_TARGETS: 409,
  /** PRECACHE_ALLOWED_PROJECTS does not list the owner of this non-public image. */
  PROJECT_NOT_ALLOWED: 403,
  ROLLOUT_FINISHED: 409,
  GLANCE_UNREACHABLE: 502,
  GLANCE_AUTH_FAILED: 502,
  GLANCE_ERROR: 502,
  /** Keystone's catalog has no image endpoint for OS_REGION_NAME/OS_INTERFACE: a setting, found at runtime. */
  GLANCE_NOT_IN_CATALOG: 502,
  KEYSTONE_UNAVAILABLE: 502,
  DISK_FULL: 507,
  DATABASE_UNAVAILABLE: 503,
  CONFIG_INVALID: 500,
  /** A sealed artifact's key is wrapped with a KEK this server no longer has (rotation without PRECACHE_KEK_PREVIOUS). */
  KEY_UNAVAILABLE: 500,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = "AppError";
    this.code = code;
    this.details = options?.details;
  }
  get status(): number {
    return errorStatus[this.code];
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** ENOSPC and friends become DISK_FULL so every edge says the same thing. */
export function toDiskError(error: unknown, where: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new AppError("DISK_FULL", `no space left on device while writing ${where}`, { cause: error });
  }
  return error;
}
