// KEK rotation, second half: at start every stored artifact key not under the current KEK is
// unwrapped with a previous one (PRECACHE_KEK_PREVIOUS) and wrapped again with the current one.
// Once every server has started and logged `left: 0`, the previous KEK can leave the environment.
import type { Logger } from "pino";
import type { Db } from "../db/open-database.ts";
import type { ArtifactKeyRing } from "./artifact-key-ring.ts";

export async function rewrapArtifactKeys(context: {
  db: Db;
  log: Logger;
  secrets: { artifactKeys: ArtifactKeyRing };
}): Promise<{ rewrapped: number; left: number }> {
  const ring = context.secrets.artifactKeys;
  const stale = await context.db.artifact.findMany({
    where: { encrypted: true, wrappedKey: { not: null }, keyId: { not: ring.currentId } },
    select: { imageId: true, sha256: true, keyId: true, wrappedKey: true },
  });
  let rewrapped = 0;
  for (const row of stale) {
    if (!row.sha256 || !row.keyId || !row.wrappedKey) continue;
    try {
      const key = ring.unwrap({ keyId: row.keyId, wrappedKey: row.wrappedKey }, row.sha256);
      // Only if still the same key: another server may have rewrapped or republished meanwhile.
      const { count } = await context.db.artifact.updateMany({
        where: { imageId: row.imageId, sha256: row.sha256, wrappedKey: row.wrappedKey },
        data: ring.wrap(key, row.sha256),
      });
      rewrapped += count;
    } catch (error) {
      context.log.error({ imageId: row.imageId, keyId: row.keyId, error: (error as Error).message }, "artifact key not rewrapped");
    }
  }
  const left = stale.length - rewrapped;
  if (stale.length) context.log.info({ rewrapped, left, kek: ring.currentId }, "artifact keys rewrapped with the current KEK");
  return { rewrapped, left };
}
