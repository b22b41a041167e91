// The identifiers and names URLs, bodies and events carry, each pattern written once: the
// schemas, the route regexes and the artifact paths all derive from these. Browser-safe (no node:).
import { z } from "zod";

/** A Glance image id (or a directory source's file id): letters, digits, . _ -, at most 128. */
export const IMAGE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const imageId = z.string().regex(IMAGE_ID_PATTERN, "image id: letters, digits, . _ -");

/** Rollout ids are the server's own (lowercase) UUIDs. */
export const ROLLOUT_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const rolloutId = z.string().regex(ROLLOUT_ID_PATTERN, "rollout id: a UUID");
/** Cleanup ids are the server's own (lowercase) UUIDs too. */
export const CLEANUP_ID_PATTERN = ROLLOUT_ID_PATTERN;

/**
 * A hypervisor's name as agents report it and URLs carry it: a host name (letters, digits,
 * . _ - and :), so no NUL, control character, slash or lone surrogate ever reaches a query or a path.
 */
export const HYPERVISOR_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,252}$/;
export const hypervisorName = z
  .string()
  .regex(HYPERVISOR_NAME_PATTERN, "hypervisor name: a host name (letters, digits, . _ - :), at most 253 characters");

/** A topology label (rack, room, cell): any printable text, no control characters or lone surrogates. */
export const groupName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^\p{Cc}\p{Cs}]+$/u, "group name: 1-128 printable characters");
/** A Squid (or other HTTP proxy) URL: printable ASCII, a scheme and a host. */
export const proxyUrl = z
  .string()
  .max(2048)
  .regex(/^https?:\/\/[^/?#]+[\x21-\x7e]*$/i, "proxy URL with scheme and host, e.g. http://squid:3128")
  .regex(/^[\x21-\x7e]+$/, "proxy URL: printable ASCII only")
  .refine((url) => URL.canParse(url), "proxy URL: not a valid URL");

/** A pattern as one capturing group of a route's path regex (its anchors dropped). */
export function pathSegment(pattern: RegExp): string {
  return `(${pattern.source.replace(/^\^/, "").replace(/\$$/, "")})`;
}
