// The audit trail's filter, read from a URL's query string. Every parameter is checked here so
// junk (unknown names, repeats, NUL bytes, bad times or ids) is a 422 naming the parameter.
import { z } from "zod";
import { invalidParam, parseQueryParams } from "../http/query-params.ts";
import { AuditOutcome } from "./record-audit.ts";

export const AUDIT_PAGE_MAX = 500;
export const AUDIT_PAGE_DEFAULT = 100;
const INT64_MAX = 9_223_372_036_854_775_807n;

/** No control characters: Postgres refuses NUL in text, and nothing legitimate carries them. */
const plainText = z
  .string()
  .min(1, "must not be empty")
  .max(256, "at most 256 characters")
  .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), "must not contain control characters");

const isoTimeMessage = "must be an ISO time with a zone, e.g. 2026-01-31T12:00:00Z";
const isoTime = z.iso
  .datetime({ offset: true, message: isoTimeMessage })
  .transform((value) => new Date(value))
  .refine((date) => !Number.isNaN(date.getTime()), isoTimeMessage);

const fields = {
  actor: plainText,
  /** Exact ("rollout.create") or a prefix ending in "." ("rollout."). */
  action: z
    .string()
    .max(128, "at most 128 characters")
    .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/, 'must be an action like "rollout.create" or a prefix ending in "." like "rollout."'),
  imageId: plainText,
  outcome: z.enum([AuditOutcome.ok, AuditOutcome.denied, AuditOutcome.failed], { message: "must be ok, denied or failed" }),
  from: isoTime,
  to: isoTime,
  before: z
    .string()
    .regex(/^[1-9][0-9]{0,18}$/, "must be an event id (a positive integer)")
    .refine((value) => /^[0-9]+$/.test(value) && BigInt(value) <= INT64_MAX, "must be an event id (a positive integer)"),
  limit: z
    .string()
    .regex(/^[0-9]{1,4}$/, `must be an integer from 1 to ${AUDIT_PAGE_MAX}`)
    .transform(Number)
    .refine((value) => value >= 1 && value <= AUDIT_PAGE_MAX, `must be an integer from 1 to ${AUDIT_PAGE_MAX}`),
} as const;

export type AuditQuery = {
  actor?: string;
  action?: string;
  imageId?: string;
  outcome?: AuditOutcome;
  from?: Date;
  to?: Date;
  /** Only events with a smaller id (keyset pagination, newest first). */
  before?: bigint;
  limit: number;
};

export function parseAuditQuery(query: URLSearchParams): AuditQuery {
  const parsed = parseQueryParams(query, fields);
  const from = parsed.from as Date | undefined;
  const to = parsed.to as Date | undefined;
  if (from && to && from > to) throw invalidParam("from", "must not be after to");
  return {
    actor: parsed.actor as string | undefined,
    action: parsed.action as string | undefined,
    imageId: parsed.imageId as string | undefined,
    outcome: parsed.outcome as AuditOutcome | undefined,
    from,
    to,
    before: parsed.before === undefined ? undefined : BigInt(parsed.before),
    limit: parsed.limit ?? AUDIT_PAGE_DEFAULT,
  };
}
