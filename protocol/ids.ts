// The identifiers URLs and events carry, each pattern written once: the schemas, the route
// regexes and the artifact paths all derive from these.
import { z } from "zod";

/** A Glance image id (or a directory source's file id): letters, digits, . _ -, at most 128. */
export const IMAGE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const imageId = z.string().regex(IMAGE_ID_PATTERN, "image id: letters, digits, . _ -");

/** Rollout ids are the server's own (lowercase) UUIDs. */
export const ROLLOUT_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const rolloutId = z.string().regex(ROLLOUT_ID_PATTERN, "rollout id: a UUID");

/** A pattern as one capturing group of a route's path regex (its anchors dropped). */
export function pathSegment(pattern: RegExp): string {
  return `(${pattern.source.replace(/^\^/, "").replace(/\$$/, "")})`;
}
