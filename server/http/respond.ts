// JSON in, JSON out, and the one place errors become HTTP statuses.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { ZodError } from "zod";
import { AppError, isAppError } from "../errors.ts";

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
    const message = error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ");
    return sendJson(res, 422, { error: { code: "VALIDATION_FAILED", message } });
  }
  if (isAppError(error)) return sendJson(res, error.status, { error: { code: error.code, message: error.message } });
  log.error({ err: error }, "request failed");
  sendJson(res, 500, { error: { code: "INTERNAL", message: "internal error (see server log)" } });
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new AppError("VALIDATION_FAILED", "request body larger than 1 MiB");
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new AppError("VALIDATION_FAILED", "request body is not valid JSON");
  }
}
