// Finding 5 at the unit level: an inventory's names are resolved in a bounded number of queries
// (not one per name), and the memory of unknown names stays bounded however many arrive.
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseFileName } from "../../protocol/nova-files.ts";
import { MAX_INVENTORY_FILES } from "../../protocol/events.ts";
import { applyInventory } from "../hypervisors/apply-inventory.ts";
import { DomainEvents } from "../events/domain-events.ts";
import { openDatabase, type Database, type Db } from "./open-database.ts";
import { ReadCache } from "./read-cache.ts";

describe("ReadCache.imagesByFileNames [pglite]", () => {
  let database: Database;
  let imageQueries = 0;
  let cache: ReadCache;
  let countingDb: Db;
  const unknownNames = (count: number) => Array.from({ length: count }, () => crypto.randomBytes(20).toString("hex"));

  beforeAll(async () => {
    database = await openDatabase({ dataDir: null });
    // The real client; only image reads are counted on their way through.
    const images = database.prisma.image;
    const countingImages = new Proxy(images, {
      get: (target, key, receiver) =>
        key === "findMany" || key === "findUnique"
          ? (...args: unknown[]) => (
              (imageQueries += 1), (Reflect.get(target, key, receiver) as (...a: unknown[]) => unknown).apply(target, args)
            )
          : Reflect.get(target, key, receiver),
    });
    countingDb = new Proxy(database.prisma, {
      get: (target, key, receiver) => (key === "image" ? countingImages : Reflect.get(target, key, receiver)),
    });
    cache = new ReadCache({ db: countingDb });
  });
  afterAll(async () => database?.close());

  it("reconciles 20,000 names, one known, with at most two image queries; an image synced later is found at once", async () => {
    await database.prisma.image.create({ data: { id: "known-image", name: "known", status: "active", source: "test" } });
    await database.prisma.hypervisor.create({ data: { name: "hv-1" } });
    const cells: string[] = [];
    const events = new DomainEvents();
    events.subscribe("cellChanged", ({ cell }) => void cells.push(cell.imageId));
    const context = { db: countingDb, cache, events };
    const file = (fileName: string) => ({ fileName, bytes: 1, mtimeMs: 0 });
    imageQueries = 0;
    await applyInventory(context, "hv-1", [...unknownNames(MAX_INVENTORY_FILES - 1).map(file), file(baseFileName("known-image"))]);
    expect(cells).toEqual(["known-image"]);
    expect(imageQueries).toBeLessThanOrEqual(2);

    await database.prisma.image.create({ data: { id: "late-image", name: "late", status: "active", source: "test" } });
    const late = await cache.imagesByFileNames([baseFileName("late-image")]);
    expect(late.get(baseFileName("late-image"))?.id).toBe("late-image");
  });

  it("keeps the memory of unknown names bounded", async () => {
    for (let round = 0; round < 5; round += 1) await cache.imagesByFileNames(unknownNames(MAX_INVENTORY_FILES));
    expect(cache.missCount).toBeLessThanOrEqual(2 * MAX_INVENTORY_FILES);
  });
});
