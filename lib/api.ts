// Browser-side REST calls: same origin, session cookie, errors carry the server's code. Replies
// are typed by the contract's schemas (protocol/api/) and checked against them in development.
import type { z } from "zod";
import { errorBody, type FieldError } from "../protocol/api/error-body";
import { checkInDevelopment } from "./dev-check";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** For a refused body: which fields, by path ("tier1.0.url"), and why. */
    readonly fields: FieldError[] = [],
  ) {
    super(message);
  }
}

/** Every change is sent as JSON, even without a body: the server refuses other cookie-borne changes (CSRF). */
export async function api<T>(method: string, route: string, reply: z.ZodType<T>, body?: unknown): Promise<T> {
  const isChange = method !== "GET";
  const response = await fetch(route, {
    method,
    credentials: "same-origin",
    headers: isChange || body !== undefined ? { "content-type": "application/json" } : {},
    body: body !== undefined ? JSON.stringify(body) : isChange ? "{}" : undefined,
  });
  const data = await response.json().catch(() => ({}));
  const where = `${method} ${route.split("?")[0]}`;
  if (!response.ok) {
    const error = (data as { error?: { code: string; message: string; fields?: FieldError[] } }).error;
    if (error) checkInDevelopment(errorBody, data, `${where} (error ${response.status})`);
    throw new ApiError(response.status, error?.code ?? "HTTP_ERROR", error?.message ?? `HTTP ${response.status}`, error?.fields ?? []);
  }
  return checkInDevelopment(reply, data, where);
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
