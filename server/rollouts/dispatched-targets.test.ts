import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../db/open-database.ts";
import { DispatchedTargets } from "./dispatched-targets.ts";

describe("dispatched targets", () => {
  let database: Database;
  let rolloutId: string;
  beforeAll(async () => {
    database = await openDatabase({ dataDir: null });
    const db = database.prisma;
    await db.image.createMany({
      data: [
        { id: "img-a", name: "a", status: "active", source: "test" },
        { id: "img-b", name: "b", status: "active", source: "test" },
      ],
    });
    const rollout = await db.rollout.create({ data: { imageId: "img-a", state: "running" } });
    rolloutId = rollout.id;
    await db.rolloutTarget.createMany({
      data: [
        { rolloutId, hypervisorName: "hv-sent", state: "downloading", attempts: 1, startedAt: new Date() },
        { rolloutId, hypervisorName: "hv-waiting", state: "pending" },
      ],
    });
  });
  afterAll(async () => database?.close());

  it("accepts a report only from a node the rollout sent its command to, for the rollout's image", async () => {
    const known = new DispatchedTargets(database.prisma);
    expect(await known.wasDispatched({ rolloutId, imageId: "img-a" }, "hv-sent", false)).toBe(true);
    expect(await known.wasDispatched({ rolloutId, imageId: "img-b" }, "hv-sent", true)).toBe(false);
    expect(await known.wasDispatched({ rolloutId, imageId: "img-a" }, "hv-waiting", true)).toBe(false);
    expect(await known.wasDispatched({ rolloutId, imageId: "img-a" }, "hv-stranger", true)).toBe(false);
    expect(await known.wasDispatched({ rolloutId: "x\u0000", imageId: "img-a" }, "hv-sent", true)).toBe(false);
    expect(await known.wasDispatched({ rolloutId: "00000000-0000-4000-8000-000000000000", imageId: "img-a" }, "hv-sent", true)).toBe(false);
  });

  it("a result from a node dispatched after the last read is seen at once", async () => {
    const known = new DispatchedTargets(database.prisma);
    expect(await known.wasDispatched({ rolloutId, imageId: "img-a" }, "hv-waiting", false)).toBe(false);
    await database.prisma.rolloutTarget.update({
      where: { rolloutId_hypervisorName: { rolloutId, hypervisorName: "hv-waiting" } },
      data: { state: "downloading", startedAt: new Date() },
    });
    expect(await known.wasDispatched({ rolloutId, imageId: "img-a" }, "hv-waiting", true)).toBe(true);
  });
});
