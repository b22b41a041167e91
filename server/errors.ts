// One error type for the whole backend; converted to HTTP/ack/exit code only at the edges.
// The codes and their statuses are the contract's (protocol/errors.ts).
import { type ErrorCode, statusOf } from "../protocol/errors.ts";

export type { ErrorCode };

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
    return statusOf(this.code);
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
