// Re-reads the image source into the database. Images gone from the source stay, marked
// "deleted", so cleanup can still find them on hypervisors.
import type { SourceSyncView } from "../../protocol/api/images.ts";
import type { AppContext } from "../context.ts";
import { isKeystoneError } from "../glance/keystone-auth.ts";
import type { DependencyHealth } from "../health/dependency-health.ts";
import { withdrawExposedArtifacts } from "../publish/withdraw-exposed-artifacts.ts";

export async function syncImages(
  context: Pick<AppContext, "db" | "source" | "log" | "health" | "events" | "env">,
): Promise<{ count: number; removed: number }> {
  const images = await readSource(context);
  const seen = new Set<string>();
  for (const image of images) {
    seen.add(image.id);
    const data = {
      name: image.name,
      status: image.status,
      size: image.size === null ? null : BigInt(image.size),
      virtualSize: image.virtualSize === null ? null : BigInt(image.virtualSize),
      diskFormat: image.diskFormat,
      containerFormat: image.containerFormat,
      checksum: image.checksum,
      osHashAlgo: image.osHashAlgo,
      osHashValue: image.osHashValue,
      visibility: image.visibility,
      owner: image.owner,
      glanceUpdatedAt: image.updatedAt,
      source: context.source.kind,
      syncedAt: new Date(),
    };
    await context.db.image.upsert({ where: { id: image.id }, create: { id: image.id, ...data }, update: data });
  }
  const { count: removed } = await context.db.image.updateMany({
    where: { id: { notIn: [...seen] }, status: { not: "deleted" } },
    data: { status: "deleted" },
  });
  await withdrawExposedArtifacts(context);
  context.events.publish("imagesChanged", {});
  context.log.info({ source: context.source.describe(), count: images.length, removed }, "images synced");
  return { count: images.length, removed };
}

// Only the source's own failures count against it (and against Keystone when it was Keystone that
// failed); database errors while storing the list are the database's.
async function readSource(context: Pick<AppContext, "source" | "health">) {
  try {
    const images = await context.source.listImages();
    context.health.markOk("imageSource");
    context.health.markOk("keystone");
    return images;
  } catch (error) {
    context.health.markFailed("imageSource", error);
    if (isKeystoneError(error)) context.health.markFailed("keystone", error);
    else if (context.source.usesKeystone) context.health.markOk("keystone");
    throw error;
  }
}

export function sourceSyncView(health: DependencyHealth, kind: SourceSyncView["kind"]): SourceSyncView {
  const status = health.get("imageSource")!;
  return {
    kind,
    state: status.state,
    lastError: status.lastError,
    since: status.since,
    lastSyncedAt: status.lastOkAt,
    lastFailedAt: status.lastFailedAt,
  };
}
