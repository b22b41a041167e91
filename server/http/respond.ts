// JSON in, JSON out, and the one place errors become HTTP statuses.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { ZodError } from "zod";
import { errorBodyOf } from "../../protocol/api/error-body.ts";
import { type ErrorCode, statusOf } from "../../protocol/errors.ts";
import { AppError, isAppError } from "../errors.ts";
import { toDatabaseUnavailable } from "../health/database-errors.ts";

const MAX_BODY = 1024 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(body, (_key, value) => (typeof value === "bigint" ? Number(value) : value));
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, error: unknown, log: Logger): void {
  if (error instanceof ZodError) {
    const fields = error.issues.map((issue) => ({ path: issue.path.join(".") || "body", message: issue.message }));
    const message = fields.map((field) => `${field.path}: ${field.message}`).join("; ");
    return sendJson(res, statusOf("VALIDATION_FAILED"), errorBodyOf("VALIDATION_FAILED", message, fields));
  }
  const outage = toDatabaseUnavailable(error);
  if (outage) {
    log.warn({ err: error }, outage.message);
    return sendErrorCode(res, outage.code, outage.message, { "retry-after": "5" });
  }
  if (isAppError(error)) {
    // The unread rest of an oversize body is not drained: the connection closes after the answer.
    const headers: Record<string, string> = error.code === "PAYLOAD_TOO_LARGE" ? { connection: "close" } : {};
    return sendErrorCode(res, error.code, error.message, headers);
  }
  log.error({ err: error }, "request failed");
  sendErrorCode(res, "INTERNAL", "internal error (see server log)");
}

/** { error: { code, message } } with the code's own status (protocol/errors.ts). */
export function sendErrorCode(
  res: ServerResponse,
  code: ErrorCode,
  message: string,
  headers: Record<string, string | string[]> = {},
): void {
  sendJson(res, statusOf(code), errorBodyOf(code, message), headers);
}

/**
 * The request body as JSON ({} when empty). Over 1 MiB: PAYLOAD_TOO_LARGE at once, without reading
 * the rest; the answer then closes the connection (sendError), so nothing more is read from it.
 */
export function readJson(req: IncomingMessage): Promise<unknown> {
  const tooLarge = () => new AppError("PAYLOAD_TOO_LARGE", `request body larger than ${MAX_BODY} bytes (1 MiB)`);
  if (Number(req.headers["content-length"] ?? 0) > MAX_BODY) {
    req.pause();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) return void chunks.push(chunk);
      req.off("data", onData).off("end", onEnd).pause();
      reject(tooLarge());
    };
    const onEnd = () => {
      if (size === 0) return resolve({});
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new AppError("VALIDATION_FAILED", "request body is not valid JSON"));
      }
    };
    // A client that goes away mid-body is not a server error: nobody is left to answer.
    const onAbort = () => reject(new AppError("BAD_REQUEST", "request body cut off by the client"));
    req.on("data", onData).once("end", onEnd).once("error", onAbort);
  });
}
