// Path parameters arrive percent-encoded and hostile: decode without throwing, then validate,
// so a bad escape, a NUL or a lone surrogate is a 400/422 naming the field, never a query.
import type { z } from "zod";
import { hypervisorName } from "../../protocol/ids.ts";
import { AppError } from "../errors.ts";

/** decodeURIComponent, with a malformed escape (`%zz`, `%E0%A4`) as BAD_REQUEST naming the field. */
export function decodeParam(raw: string, field: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new AppError("BAD_REQUEST", `${field}: malformed %-escape in the path`);
  }
}

/** A decoded path parameter checked against its schema; VALIDATION_FAILED names the field. */
export function pathParam<T>(raw: string, field: string, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(decodeParam(raw, field));
  if (parsed.success) return parsed.data;
  throw new AppError("VALIDATION_FAILED", `${field}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
}

/** A decoded free-text parameter (a user name): no control characters or lone surrogates. */
export function textParam(raw: string, field: string): string {
  const decoded = decodeParam(raw, field);

  if (/[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(decoded)) {
    throw new AppError("BAD_REQUEST", `${field}: control characters or lone surrogates`);
  }
  return decoded;
}

export function hypervisorParam(raw: string): string {
  return pathParam(raw, "name", hypervisorName);
}
