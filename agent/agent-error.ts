// An agent failure with a stable code, reported to the server and as the CLI's message.
import type { ErrorPayload } from "../protocol/events.ts";
import type { AgentErrorCode } from "../protocol/states.ts";

export class AgentError extends Error {
  readonly code: AgentErrorCode;
  /** Worth trying again with another proxy (network trouble, 5xx), as opposed to bad data. */
  readonly isRetryable: boolean;
  constructor(code: AgentErrorCode, message: string, options?: { cause?: unknown; isRetryable?: boolean }) {
    super(message, { cause: options?.cause });
    this.name = "AgentError";
    this.code = code;
    this.isRetryable = options?.isRetryable ?? false;
  }
}

export function toErrorPayload(error: unknown): ErrorPayload {
  if (error instanceof AgentError) return { code: error.code, message: error.message };
  const errno = (error as NodeJS.ErrnoException)?.code;
  if (errno === "ENOSPC" || errno === "EDQUOT") return { code: "DISK_FULL", message: "no space left on device" };
  return { code: "WRITE_FAILED", message: error instanceof Error ? error.message : String(error) };
}
