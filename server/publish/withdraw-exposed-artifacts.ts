// An image that was public when it was published and is not any more (or a private one published
// plain by a version before sealed artifacts) must stop being served in clear. After each sync its
// plain artifact leaves the origin and is marked failed, naming the fix: publish again, sealed.
// Squids may still hold a copy until it is evicted or PURGEd: the log names its path for that.
import fs from "node:fs";
import { ArtifactState } from "../../protocol/states.ts";
import type { Logger } from "pino";
import type { Db } from "../db/open-database.ts";
import type { Env } from "../env.ts";
import { artifactUrlPath, storedArtifactFile } from "./artifact-paths.ts";

export async function withdrawExposedArtifacts(context: { db: Db; env: Pick<Env, "artifactDir">; log: Logger }): Promise<number> {
  const exposed = await context.db.artifact.findMany({
    where: { encrypted: false, state: ArtifactState.ready, image: { OR: [{ visibility: { not: "public" } }, { visibility: null }] } },
    include: { image: { select: { name: true, visibility: true } } },
  });
  for (const artifact of exposed) {
    const stored = artifact.sha256 ? { ...artifact, sha256: artifact.sha256 } : null;
    if (stored) await fs.promises.rm(storedArtifactFile(context.env.artifactDir, stored), { force: true });
    const error = `image ${artifact.image.name} is ${artifact.image.visibility ?? "no longer public"}: its plain artifact was withdrawn from the origin; publish it again to seal it`;
    await context.db.artifact.update({ where: { imageId: artifact.imageId }, data: { state: ArtifactState.failed, error } });
    context.log.warn(
      { imageId: artifact.imageId, path: stored ? artifactUrlPath(stored) : null },
      `${error} (PURGE this path from the Squids)`,
    );
  }
  return exposed.length;
}
