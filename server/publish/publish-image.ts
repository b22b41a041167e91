// POST /api/images/{id}/publish: check, open the source (so refusals are immediate), then
// compress in the background while progress goes to the database and the dashboard.
import fs from "node:fs";
import { ArtifactState } from "../../protocol/states.ts";
import { track, type AppContext } from "../context.ts";
import type { Artifact } from "../db/generated/client.ts";
import { AppError } from "../errors.ts";
import { freeBytes } from "../../shared/files.ts";
import { toArtifactView } from "../images/image-views.ts";
import { storedArtifactFile } from "./artifact-paths.ts";
import { compressToArtifact } from "./compress-to-artifact.ts";
import { newArtifactKey } from "./encrypt-artifact.ts";
import { assertPublishAllowed, mustSeal } from "./seal-policy.ts";
import { isServerAlive } from "../cluster/server-instances.ts";

export type PublishOptions = { imageId: string; codec?: "gzip"; level?: number };
export type PublishContext = Pick<
  AppContext,
  "db" | "source" | "env" | "log" | "events" | "publicUrl" | "tasks" | "publishing" | "secrets" | "instanceId"
>;

export async function publishImage(context: PublishContext, options: PublishOptions): Promise<{ artifact: Artifact; reused: boolean }> {
  const level = options.level ?? 6;
  const codec = options.codec ?? "gzip";
  const image = await context.db.image.findUnique({ where: { id: options.imageId }, include: { artifact: true } });
  if (!image) throw new AppError("IMAGE_NOT_FOUND", `no image ${options.imageId} (try POST /api/images/sync)`);
  if (image.status !== "active") {
    throw new AppError("IMAGE_NOT_ACTIVE", `image ${image.id} is ${image.status}; only active images can be published`);
  }
  assertPublishAllowed(image, context.env);
  const isSealed = mustSeal(image, context.env.PRECACHE_ENCRYPT_ALL_ARTIFACTS);
  const sourceKey = sourceKeyOf(image);
  const current = image.artifact;
  if (current && context.publishing.has(image.id)) return { artifact: current, reused: true };
  // Another server sharing the database is compressing it: that one finishes it.
  if (current && isInFlight(current.state) && current.publishedBy && current.publishedBy !== context.instanceId) {
    if (await isServerAlive(context.db, current.publishedBy)) return { artifact: current, reused: true };
  }
  if (
    current?.state === ArtifactState.ready &&
    current.sourceKey === sourceKey &&
    current.codec === codec &&
    current.level === level &&
    current.encrypted === isSealed &&
    current.sha256
  ) {
    if (fs.existsSync(storedArtifactFile(context.env.artifactDir, { ...current, sha256: current.sha256 }))) {
      return { artifact: current, reused: true };
    }
  }
  const size = image.size === null ? null : Number(image.size);
  await fs.promises.mkdir(context.env.artifactDir, { recursive: true });
  const free = await freeBytes(context.env.artifactDir);
  if (size !== null && free < size * 1.01 + 16 * 2 ** 20) {
    throw new AppError(
      "DISK_FULL",
      `not enough space in ${context.env.artifactDir} to publish ${image.name}: up to ${size} bytes needed, ${free} free`,
    );
  }
  const data = await context.source.openImageData(image.id);
  const fields = {
    state: ArtifactState.compressing,
    codec,
    level,
    sourceKey,
    sourceSize: data.size === null ? null : BigInt(data.size),
    bytesRead: 0n,
    compressedSize: null,
    sha256: null,
    encrypted: isSealed,
    wrappedKey: null,
    keyId: null,
    error: null,
    startedAt: new Date(),
    finishedAt: null,
    publishedBy: context.instanceId,
  };
  const artifact = await context.db.artifact.upsert({
    where: { imageId: image.id },
    create: { imageId: image.id, ...fields },
    update: fields,
  });
  context.events.publish("artifactChanged", { imageId: image.id, artifact: toArtifactView(artifact, context.publicUrl) });
  const previous = current?.sha256 ? { ...current, sha256: current.sha256 } : null;
  // Made here and held only in memory until the artifact's sha256 is known; then stored wrapped.
  const artifactKey = isSealed ? newArtifactKey() : null;
  const hash =
    image.osHashAlgo && image.osHashValue
      ? { algo: image.osHashAlgo, value: image.osHashValue }
      : image.checksum
        ? { algo: "md5", value: image.checksum }
        : null;

  const task = (async () => {
    let lastWrite = 0;
    try {
      const result = await compressToArtifact({
        imageId: image.id,
        source: data.stream,
        artifactDir: context.env.artifactDir,
        level,
        expectedHash: hash,
        sealWith: artifactKey,
        onProgress(bytesRead) {
          const now = Date.now();
          if (now - lastWrite < 1000) return;
          lastWrite = now;
          void context.db.artifact
            .update({ where: { imageId: image.id }, data: { bytesRead: BigInt(bytesRead) } })
            .then((row) =>
              context.events.publish("artifactChanged", { imageId: image.id, artifact: toArtifactView(row, context.publicUrl) }),
            )
            .catch(() => undefined);
        },
      });
      const done = await context.db.artifact.update({
        where: { imageId: image.id },
        data: {
          state: ArtifactState.ready,
          bytesRead: BigInt(result.sourceSize),
          sourceSize: BigInt(result.sourceSize),
          compressedSize: BigInt(result.compressedSize),
          sha256: result.sha256,
          ...(artifactKey ? context.secrets.artifactKeys.wrap(artifactKey, result.sha256) : {}),
          finishedAt: new Date(),
        },
      });
      if (previous && previous.sha256 !== result.sha256)
        await fs.promises.rm(storedArtifactFile(context.env.artifactDir, previous), { force: true });
      context.log.info(
        {
          imageId: image.id,
          sourceSize: result.sourceSize,
          compressedSize: result.compressedSize,
          sha256: result.sha256,
          encrypted: isSealed,
        },
        "image published",
      );
      context.events.publish("artifactChanged", { imageId: image.id, artifact: toArtifactView(done, context.publicUrl) });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      context.log.error({ imageId: image.id, error: message }, "publish failed");
      const failed = await context.db.artifact.update({
        where: { imageId: image.id },
        data: { state: ArtifactState.failed, error: message, finishedAt: new Date() },
      });
      context.events.publish("artifactChanged", { imageId: image.id, artifact: toArtifactView(failed, context.publicUrl) });
    } finally {
      context.publishing.delete(image.id);
    }
  })();
  context.publishing.set(image.id, task);
  track(context, task);
  return { artifact, reused: false };
}

/** Publishes interrupted by a restart are started again. */
/**
 * Starts again the publishes a server left unfinished: at a lone server's start all of them
 * (`alive` null); with several servers, those whose server is not in `alive` (it died).
 */
export async function resumeInterruptedPublishes(context: PublishContext, alive: Set<string> | null = null): Promise<void> {
  const stuck = await context.db.artifact.findMany({ where: { state: { in: [ArtifactState.pending, ArtifactState.compressing] } } });
  for (const artifact of stuck) {
    if (context.publishing.has(artifact.imageId)) continue;
    if (alive && artifact.publishedBy && alive.has(artifact.publishedBy)) continue;
    context.log.warn({ imageId: artifact.imageId }, "publish was interrupted by a restart; starting it again");
    await context.db.artifact.update({
      where: { imageId: artifact.imageId },
      data: { state: ArtifactState.failed, error: "interrupted by server restart" },
    });
    await publishImage(context, { imageId: artifact.imageId, level: artifact.level }).catch((error: Error) =>
      context.log.error({ imageId: artifact.imageId, error: error.message }, "could not restart publish"),
    );
  }
}

function isInFlight(state: string): boolean {
  return state === ArtifactState.pending || state === ArtifactState.compressing;
}

function sourceKeyOf(image: {
  osHashAlgo: string | null;
  osHashValue: string | null;
  checksum: string | null;
  size: bigint | null;
  glanceUpdatedAt: string | null;
}): string {
  if (image.osHashAlgo && image.osHashValue) return `${image.osHashAlgo}:${image.osHashValue}`;
  if (image.checksum) return `md5:${image.checksum}`;
  return `size:${image.size}:${image.glanceUpdatedAt}`;
}
