// Which artifacts are sealed, and whose images may be published at all. Glance's `visibility`
// says who may read an image in Glance; an artifact on the origin can be read by whoever reaches a
// Squid, so anything not public is sealed, and an unknown visibility counts as not public.
import type { Env } from "../env.ts";
import { AppError } from "../errors.ts";

export type ImageOwnership = { id: string; name: string; owner: string | null; visibility: string | null };

export function mustSeal(image: Pick<ImageOwnership, "visibility">, encryptAll: boolean | undefined): boolean {
  return encryptAll === true || image.visibility !== "public";
}

/** PRECACHE_ALLOWED_PROJECTS, when set, names the only projects whose non-public images may be published. */
export function assertPublishAllowed(image: ImageOwnership, env: Pick<Env, "PRECACHE_ALLOWED_PROJECTS">): void {
  const allowed = env.PRECACHE_ALLOWED_PROJECTS;
  if (!allowed || image.visibility === "public") return;
  if (image.owner !== null && allowed.includes(image.owner)) return;
  throw new AppError(
    "PROJECT_NOT_ALLOWED",
    `image ${image.name} (${image.id}) is ${image.visibility ?? "of unknown visibility"} and owned by project ${image.owner ?? "(none)"}, which PRECACHE_ALLOWED_PROJECTS does not list: its data may not be pre-cached`,
  );
}
