// The database layer on both engines: migrations, image sync, hypervisors and their cache,
// rollout lifecycle. Then the whole server on Postgres, publish → rollout → one real agent.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { baseFileName } from "../protocol/nova-files.ts";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import type { AgentHello, CachedFile } from "../protocol/events.ts";
import type { AppContext } from "../server/context.ts";
import { parseEnv } from "../server/env.ts";
import { CleanupJobs } from "../server/cleanup/cleanup-jobs.ts";
import { DependencyHealth } from "../server/health/dependency-health.ts";
import { createArtifactKeyRing } from "../server/keys/artifact-key-ring.ts";
import { toKek } from "../server/keys/kek-material.ts";
import { MIGRATIONS_DIR, migrate } from "../server/db/migrate.ts";
import type { Db } from "../server/db/open-database.ts";
import { ReadCache } from "../server/db/read-cache.ts";
import { DomainEvents } from "../server/events/domain-events.ts";
import { wireSubscribers } from "../server/events/wire-subscribers.ts";
import type { ImageSource, SourceImage } from "../server/glance/source-image.ts";
import { applyInventory } from "../server/hypervisors/apply-inventory.ts";
import { markHypervisorOffline, registerHypervisor as registerOnly } from "../server/hypervisors/register-hypervisor.ts";
import { syncImages } from "../server/images/sync-images.ts";
import type { AgentHub } from "../server/realtime/agent-hub.ts";
import { createRollout } from "../server/rollouts/create-rollout.ts";
import { ProgressBuffer } from "../server/rollouts/progress-buffer.ts";
import { RolloutScheduler } from "../server/rollouts/rollout-scheduler.ts";
import { recordFinished, recordProgress } from "../server/rollouts/record-download.ts";
import { cancelRollout, catchUpHypervisor, getRollout } from "../server/rollouts/rollout-commands.ts";
import { setHypervisorGroup } from "../server/topology/topology.ts";
import { scrapeMetrics } from "../server/http/metrics.ts";
import { describeEachDatabase, postgresDatabaseExists, postgresSkipReason, assertPostgres, postgresTestUrl } from "./support/databases.ts";
import { startTestAgent } from "./support/test-agent.ts";

/** What the agent hub does with a hello: register (answered at once), then reconcile the inventory. */
async function registerHypervisor(
  context: Parameters<typeof registerOnly>[0] & Parameters<typeof applyInventory>[0],
  hello: Parameters<typeof registerOnly>[1],
) {
  const settings = await registerOnly(context, hello);
  await applyInventory(context, hello.name, hello.inventory);
  return settings;
}
import { publishAndWait, rolloutAndWait, startTestServer, type TestServer } from "./support/test-server.ts";

const GiB = 1024 ** 3;

// ---- small factories and test doubles of our own interfaces ----

class ListedSource implements ImageSource {
  readonly kind = "glance" as const;
  constructor(public images: SourceImage[]) {}
  describe() {
    return "in-test image list";
  }
  async listImages() {
    return this.images.map((image) => ({ ...image }));
  }
  async getImage(id: string): Promise<SourceImage> {
    const image = this.images.find((candidate) => candidate.id === id);
    if (!image) throw new Error(`no image ${id}`);
    return image;
  }
  async openImageData(): Promise<never> {
    throw new Error("not used by these tests");
  }
}

function sourceImage(overrides: Partial<SourceImage> = {}): SourceImage {
  const id = overrides.id ?? crypto.randomUUID();
  return {
    id,
    name: `image-${id.slice(0, 8)}`,
    status: "active",
    size: 1024,
    virtualSize: 1024,
    diskFormat: "raw",
    containerFormat: "bare",
    checksum: "0".repeat(32),
    osHashAlgo: "sha512",
    osHashValue: "a".repeat(128),
    visibility: "public",
    owner: null,
    updatedAt: "2026-01-01T00:00:00Z",
    ...overrides,
  };
}

type UiEvent = [method: string, ...args: unknown[]];

function recordingUi() {
  const events: UiEvent[] = [];
  const ui = {
    events,
    hypervisorChanged: (...args: unknown[]) => void events.push(["hypervisorChanged", ...args]),
    cellChanged: (...args: unknown[]) => void events.push(["cellChanged", ...args]),
    artifactChanged: (...args: unknown[]) => void events.push(["artifactChanged", ...args]),
    rolloutChanged: (...args: unknown[]) => void events.push(["rolloutChanged", ...args]),
    cleanupChanged: (...args: unknown[]) => void events.push(["cleanupChanged", ...args]),
    attach: () => undefined,
    close: () => undefined,
  };
  return ui;
}

/** Agents as the AgentHub presents them: online ones accept commands, others answer OFFLINE. */
function fakeAgents() {
  const online = new Set<string>();
  const sent: { name: string; event: string; payload: unknown }[] = [];
  return {
    online,
    sent,
    broadcastSettings: (settingsFor: (name: string) => unknown) => {
      for (const name of online) sent.push({ name, event: "settings:changed", payload: settingsFor(name) });
    },
    isOnline: (name: string) => online.has(name),
    onlineNames: () => [...online],
    send: async (name: string, event: string, payload: unknown) => {
      sent.push({ name, event, payload });
      if (!online.has(name)) return { ok: false as const, error: { code: "OFFLINE", message: `hypervisor ${name} is not connected` } };
      return { ok: true as const, data: { accepted: true } };
    },
  };
}

/**
 * Domain functions get a context whose events reach the real subscriptions, with a recording
 * dashboard and a scheduler that only counts pokes; `tick()` runs one real scheduler pass on
 * demand, so what gets dispatched when is deterministic.
 */
function testContext(db: Db, source: ImageSource = new ListedSource([])) {
  const ui = recordingUi();
  const agents = fakeAgents();
  const pokes = { count: 0 };
  const log = pino({ level: "silent" });
  const events = new DomainEvents();
  const cache = new ReadCache({ db });
  wireSubscribers(events, { ui, cache, scheduler: { poke: () => void (pokes.count += 1) }, pushAgentSettings: () => undefined });
  const context = {
    db,
    source,
    log,
    events,
    cache,
    agents: agents as unknown as AgentHub,
    publicUrl: "http://precache.test:3000",
    instanceId: "test-instance",
    health: new DependencyHealth(["database", "imageSource"]),
    progress: new ProgressBuffer({ db, log }),
    tasks: new Set<Promise<unknown>>(),
    publishing: new Map<string, Promise<unknown>>(),
    cleanups: new CleanupJobs(log),
    secrets: {
      agentToken: "agent",
      apiToken: "api",
      adminPassword: "admin",
      sessionSecret: "session",
      artifactKeys: createArtifactKeyRing(toKek(crypto.randomBytes(32))),
    },
    // Only the artifact dir is read (a sync withdraws plain artifacts of images no longer public).
    env: parseEnv({ PRECACHE_DATA_DIR: path.join(os.tmpdir(), "precache-repository-test") }),
  } satisfies Omit<AppContext, "access">;
  const tick = async () => {
    await new RolloutScheduler(context).passOnce();
  };
  return { context, ui, agents, pokes, tick };
}

function hello(name: string, overrides: Partial<AgentHello> = {}): AgentHello {
  return {
    protocol: 1,
    name,
    version: "0.1.0-test",
    cacheDir: "/var/lib/nova/instances/_base",
    freeBytes: 100 * GiB,
    proxies: ["http://squid-a:3128"],
    inventory: [],
    active: [],
    ...overrides,
  };
}

const MTIME_MS = Date.parse("2026-11-01T12:00:00.123Z");

function cachedFile(imageId: string, bytes: number, mtimeMs = MTIME_MS): CachedFile {
  return { fileName: baseFileName(imageId), bytes, mtimeMs };
}

/** An image with a ready artifact, as the publisher leaves it. */
async function publishedImage(db: Db, size: number | null = 4096) {
  const id = crypto.randomUUID();
  await db.image.create({
    data: {
      id,
      name: `published-${id.slice(0, 8)}`,
      status: "active",
      size: size === null ? null : BigInt(size),
      osHashAlgo: "sha512",
      osHashValue: "b".repeat(128),
      source: "glance",
      artifact: { create: { state: "ready", codec: "gzip", level: 6, sourceKey: "k", sha256: "c".repeat(64), compressedSize: 1000n } },
    },
  });
  return id;
}

const uniqueName = (prefix: string) => `${prefix}-${crypto.randomBytes(3).toString("hex")}`;

// One database per engine for the whole suite (opening PGlite costs seconds); tests give
// their rows unique names, and the sync test, which owns the Image table, starts by emptying it.
describeEachDatabase("repository", (under) => {
  describe("migrations", () => {
    it("applies every committed migration, records it in _prisma_migrations, and applies nothing twice", async () => {
      const { driver } = under.database;
      expect(driver.kind).toBe(under.kind);
      const names = fs
        .readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort();
      expect(names.length).toBeGreaterThan(0);

      const rows = await driver.query<{ migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null }>(
        `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY migration_name`,
      );
      expect(rows.map((row) => row.migration_name)).toEqual(names);
      for (const row of rows) {
        const sql = fs.readFileSync(path.join(MIGRATIONS_DIR, row.migration_name, "migration.sql"), "utf8");
        expect(row.checksum).toBe(crypto.createHash("sha256").update(sql).digest("hex"));
        expect(row.finished_at).not.toBeNull();
        expect(row.rolled_back_at).toBeNull();
      }

      const tables = await driver.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`,
      );
      expect(tables.map((row) => row.table_name)).toEqual(
        expect.arrayContaining([
          "Artifact",
          "Cleanup",
          "CleanupNode",
          "Hypervisor",
          "HypervisorImage",
          "Image",
          "Rollout",
          "RolloutTarget",
          "_prisma_migrations",
        ]),
      );

      expect(await migrate(driver)).toEqual([]);
      const after = await driver.query<{ count: string | number }>(`SELECT count(*) AS count FROM "_prisma_migrations"`);
      expect(Number(after[0].count)).toBe(names.length);
    });
  });

  describe("image sync", () => {
    it("upserts what the source lists and marks vanished images deleted, once", async () => {
      await under.database.prisma.image.deleteMany();
      const big = sourceImage({ name: "big", size: 5 * GiB + 7 });
      const small = sourceImage({ name: "small", size: 1, osHashValue: null, osHashAlgo: null });
      const source = new ListedSource([big, small]);
      const { context } = testContext(under.database.prisma, source);

      expect(await syncImages(context)).toEqual({ count: 2, removed: 0 });
      const first = await context.db.image.findUniqueOrThrow({ where: { id: big.id } });
      expect(first).toMatchObject({
        name: "big",
        status: "active",
        size: BigInt(5 * GiB + 7),
        diskFormat: "raw",
        source: "glance",
        glanceUpdatedAt: big.updatedAt,
      });
      expect(Number(first.size)).toBe(5 * GiB + 7);
      expect(await context.db.image.findUniqueOrThrow({ where: { id: small.id } })).toMatchObject({
        osHashAlgo: null,
        osHashValue: null,
        size: 1n,
      });

      const added = sourceImage({ name: "added", size: null });
      source.images = [{ ...big, name: "big-renamed", status: "deactivated" }, added];
      expect(await syncImages(context)).toEqual({ count: 2, removed: 1 });
      expect(await context.db.image.findUniqueOrThrow({ where: { id: big.id } })).toMatchObject({
        name: "big-renamed",
        status: "deactivated",
      });
      expect(await context.db.image.findUniqueOrThrow({ where: { id: small.id } })).toMatchObject({ name: "small", status: "deleted" });
      expect(await context.db.image.findUniqueOrThrow({ where: { id: added.id } })).toMatchObject({ size: null });

      // Already deleted: not counted again. Back in the source: no longer deleted.
      expect(await syncImages(context)).toEqual({ count: 2, removed: 0 });
      source.images = [big, small, added];
      expect(await syncImages(context)).toEqual({ count: 3, removed: 0 });
      expect(await context.db.image.findUniqueOrThrow({ where: { id: small.id } })).toMatchObject({ status: "active" });
      expect(await context.db.image.count()).toBe(3);
    });
  });

  describe("hypervisors", () => {
    let db: Db;
    beforeEach(() => {
      db = under.database.prisma;
    });

    it("registers a hello, maps sha1(image id) files back to images, and goes offline", async () => {
      const { context, ui } = testContext(db);
      const whole = await publishedImage(db, 6 * GiB + 1);
      const short = await publishedImage(db, 2048);
      const name = uniqueName("hv");
      await registerHypervisor(
        context,
        hello(name, {
          freeBytes: 7.5 * 1024 * GiB,
          proxies: ["http://squid-a:3128", "http://squid-b.rack-2:3128"],
          inventory: [
            cachedFile(whole, 6 * GiB + 1),
            cachedFile(short, 1000),
            { fileName: baseFileName("not-an-image-we-know"), bytes: 5, mtimeMs: 0 },
            { fileName: "something-else.part", bytes: 5, mtimeMs: 0 },
          ],
        }),
      );

      const row = await db.hypervisor.findUniqueOrThrow({ where: { name }, include: { images: { orderBy: { bytes: "asc" } } } });
      expect(row).toMatchObject({
        online: true,
        version: "0.1.0-test",
        cacheDir: "/var/lib/nova/instances/_base",
        proxies: ["http://squid-a:3128", "http://squid-b.rack-2:3128"],
      });
      expect(row.freeBytes).toBe(BigInt(7.5 * 1024 * GiB));
      expect(
        row.images.map((image) => ({
          imageId: image.imageId,
          state: image.state,
          bytes: image.bytes,
          verified: image.verified,
          error: image.error,
        })),
      ).toEqual([
        { imageId: short, state: "cached", bytes: 1000n, verified: false, error: "size 1000 differs from image size 2048" },
        { imageId: whole, state: "cached", bytes: BigInt(6 * GiB + 1), verified: false, error: null },
      ]);
      expect(ui.events.filter(([method]) => method === "hypervisorChanged")).toEqual([
        ["hypervisorChanged", expect.objectContaining({ name, online: true, freeBytes: 7.5 * 1024 * GiB })],
      ]);
      expect(
        ui.events
          .filter(([method]) => method === "cellChanged")
          .map(([, hv, cell]) => [hv, (cell as { imageId: string }).imageId])
          .sort(),
      ).toEqual(
        [
          [name, whole],
          [name, short],
        ].sort(),
      );

      await markHypervisorOffline(context, name);
      expect(await db.hypervisor.findUniqueOrThrow({ where: { name } })).toMatchObject({ online: false });
      expect(ui.events.at(-1)).toEqual(["hypervisorChanged", expect.objectContaining({ name, online: false })]);

      // A second hello updates in place.
      await registerHypervisor(context, hello(name, { proxies: [], inventory: [cachedFile(whole, 6 * GiB + 1)] }));
      const again = await db.hypervisor.findUniqueOrThrow({ where: { name }, include: { images: true } });
      expect(again).toMatchObject({ online: true, proxies: [] });
      expect(again.images.map((image) => image.imageId)).toEqual([whole]);
    });

    it("round-trips String[] proxies with awkward characters", async () => {
      const { context } = testContext(db);
      const name = uniqueName("hv-proxies");
      const proxies = ["http://user:p%40ss@squid:3128", 'http://a,b"c{d}\\e:3128', "http://ünïcode.example:8080", ""];
      await registerHypervisor(context, hello(name, { proxies }));
      expect((await db.hypervisor.findUniqueOrThrow({ where: { name } })).proxies).toEqual(proxies);
    });

    it("applyInventory drops cached rows whose file vanished and keeps rows in progress", async () => {
      const { context, ui } = testContext(db);
      const kept = await publishedImage(db, 100);
      const vanished = await publishedImage(db, 200);
      const inFlight = await publishedImage(db, 300);
      const name = uniqueName("hv-inv");
      await registerHypervisor(context, hello(name, { inventory: [cachedFile(kept, 100), cachedFile(vanished, 200)] }));
      await db.hypervisorImage.create({ data: { hypervisorName: name, imageId: inFlight, state: "downloading", bytes: 10n } });
      ui.events.length = 0;

      await applyInventory(context, name, [cachedFile(kept, 100)]);
      const rows = await db.hypervisorImage.findMany({ where: { hypervisorName: name }, orderBy: { bytes: "asc" } });
      expect(rows.map((row) => [row.imageId, row.state])).toEqual([
        [inFlight, "downloading"],
        [kept, "cached"],
      ]);
      expect(rows[1].fileMtime?.getTime()).toBe(MTIME_MS);
      expect(ui.events).toEqual([
        ["cellChanged", name, { imageId: vanished, state: "absent", bytes: 0, totalBytes: null, error: null, at: expect.any(Number) }],
      ]);

      // Same file touched (kept fresh against nova's cache manager): only its mtime moves.
      const keptKey = { hypervisorName_imageId: { hypervisorName: name, imageId: kept } };
      await db.hypervisorImage.update({ where: keptKey, data: { verified: true } });
      ui.events.length = 0;
      await applyInventory(context, name, [cachedFile(kept, 100, MTIME_MS + 86_400_000)]);
      const touched = await db.hypervisorImage.findUniqueOrThrow({ where: keptKey });
      expect(touched).toMatchObject({ state: "cached", bytes: 100n, verified: true, error: null });
      expect(touched.fileMtime?.getTime()).toBe(MTIME_MS + 86_400_000);
      expect(ui.events).toEqual([["cellChanged", name, expect.objectContaining({ imageId: kept, state: "cached" })]]);
      ui.events.length = 0;
      await applyInventory(context, name, [cachedFile(kept, 100, MTIME_MS + 86_400_000)]);
      expect(ui.events).toEqual([]);

      // A different file under that name is no longer the one we verified.
      await applyInventory(context, name, [cachedFile(kept, 99, MTIME_MS + 86_400_000)]);
      expect(await db.hypervisorImage.findUniqueOrThrow({ where: keptKey })).toMatchObject({
        bytes: 99n,
        verified: false,
        error: "size 99 differs from image size 100",
      });
    });
  });

  describe("rollouts", () => {
    let db: Db;
    beforeEach(() => {
      db = under.database.prisma;
    });
    // Every scheduler pass looks at all running rollouts: leave none behind for the next test.
    afterEach(async () => {
      await db.rollout.updateMany({ where: { state: { in: ["running", "paused"] } }, data: { state: "cancelled" } });
    });

    async function enrol(context: Parameters<typeof registerHypervisor>[0], count: number, overrides: Partial<AgentHello> = {}) {
      const names = Array.from({ length: count }, (_, index) => uniqueName(`hv${index}`));
      for (const name of names) await registerHypervisor(context, hello(name, overrides));
      return names;
    }

    const target = (db: Db, rolloutId: string, hypervisorName: string) =>
      db.rolloutTarget.findUniqueOrThrow({ where: { rolloutId_hypervisorName: { rolloutId, hypervisorName } } });
    const cell = (db: Db, hypervisorName: string, imageId: string) =>
      db.hypervisorImage.findUnique({ where: { hypervisorName_imageId: { hypervisorName, imageId } } });
    const precacheSent = (agents: ReturnType<typeof fakeAgents>) =>
      agents.sent.filter((entry) => entry.event === "image:precache").map((entry) => entry.name);

    it("waves: one download warms each proxy, then the rest follow; sizes beyond 4 GiB round-trip", async () => {
      const size = 5 * GiB + 3;
      const squid1 = "http://squid-1:3128";
      const squid2 = "http://squid-2:3128";
      const { context, ui, agents, pokes, tick } = testContext(db);
      const imageId = await publishedImage(db, size);
      const [a, b] = await enrol(context, 2, { proxies: [squid1] });
      const [c] = await enrol(context, 1, { proxies: [squid2] });
      for (const name of [a, b, c]) agents.online.add(name);

      const created = await createRollout(context, { imageId, hypervisors: [a, b, c] });
      expect(created).toMatchObject({ state: "running", targets: 3 });
      expect(pokes.count).toBeGreaterThan(0);
      expect(await getRollout(context, created.id)).toMatchObject({
        imageId,
        state: "running",
        counts: { pending: 3, downloading: 0, done: 0, failed: 0 },
      });
      expect((await db.hypervisorImage.findMany({ where: { imageId } })).map((row) => row.state)).toEqual([
        "pending",
        "pending",
        "pending",
      ]);

      await tick();
      const first = precacheSent(agents);
      expect(first).toHaveLength(2);
      expect(first).toContain(c);
      const warmer = first.find((name) => name !== c)!;
      const follower = warmer === a ? b : a;
      expect([a, b]).toContain(warmer);
      expect(agents.sent[0].payload).toMatchObject({
        rolloutId: created.id,
        imageId,
        artifactUrl: `http://precache.test:3000/artifacts/${imageId}/${"c".repeat(64)}.gz`,
        imageSize: size,
        compressedSize: 1000,
        hash: { algo: "sha512", value: "b".repeat(128) },
        jitterMs: 0,
      });
      expect(await target(db, created.id, warmer)).toMatchObject({ state: "downloading", proxy: squid1, attempts: 1 });
      expect(await target(db, created.id, c)).toMatchObject({ state: "downloading", proxy: squid2, attempts: 1 });
      expect(await target(db, created.id, follower)).toMatchObject({ state: "pending", attempts: 0 });
      expect(await cell(db, warmer, imageId)).toMatchObject({ state: "downloading" });

      await tick(); // squid-1 is still cold and busy: nothing new
      expect(precacheSent(agents)).toHaveLength(2);

      // Progress reaches the dashboard at once, the database on the next flush.
      await recordProgress(context, warmer, { rolloutId: created.id, imageId, bytes: 4.5 * GiB, totalBytes: size });
      expect(ui.events).toContainEqual([
        "cellChanged",
        warmer,
        { imageId, state: "downloading", bytes: 4.5 * GiB, totalBytes: size, error: null, at: expect.any(Number) },
      ]);
      expect((await target(db, created.id, warmer)).bytes).toBe(0n);
      await context.progress.flush();
      const progressed = await target(db, created.id, warmer);
      expect(progressed.bytes).toBe(BigInt(4.5 * GiB));
      expect(progressed.lastProgressAt).toBeInstanceOf(Date);
      expect((await getRollout(context, created.id)).hypervisors.find((row) => row.name === warmer)).toMatchObject({
        state: "downloading",
        bytes: 4.5 * GiB,
      });

      await recordFinished(context, warmer, {
        resultId: crypto.randomUUID(),
        rolloutId: created.id,
        imageId,
        ok: true,
        bytes: size,
        seconds: 3,
      });
      expect((await getRollout(context, created.id)).state).toBe("running");
      await tick(); // squid-1 is warm now
      expect(precacheSent(agents)).toEqual([...first, follower]);
      await recordFinished(context, follower, {
        resultId: crypto.randomUUID(),
        rolloutId: created.id,
        imageId,
        ok: true,
        bytes: size,
        seconds: 1,
      });
      await recordFinished(context, c, {
        resultId: crypto.randomUUID(),
        rolloutId: created.id,
        imageId,
        ok: true,
        bytes: size,
        seconds: 4,
      });

      const view = await getRollout(context, created.id);
      expect(view).toMatchObject({ state: "done", counts: { pending: 0, downloading: 0, done: 3, failed: 0 } });
      expect(view.finishedAt).not.toBeNull();
      expect(view.hypervisors.map((row) => row.bytes)).toEqual([size, size, size]);
      const cells = await db.hypervisorImage.findMany({ where: { imageId } });
      expect(cells.map((row) => [row.state, row.verified, row.bytes])).toEqual(Array(3).fill(["cached", true, BigInt(size)]));
      expect(ui.events.filter(([method]) => method === "rolloutChanged")).toEqual([
        ["rolloutChanged", created.id, "running"],
        ["rolloutChanged", created.id, "done"],
      ]);

      // Late progress for a finished target changes nothing.
      await recordProgress(context, c, { rolloutId: created.id, imageId, bytes: 1, totalBytes: size });
      await context.progress.flush();
      expect((await target(db, created.id, c)).bytes).toBe(BigInt(size));
    });

    it("retries a retryable failure after a backoff, fails final errors, and ends the rollout failed", async () => {
      const { context, agents, tick } = testContext(db);
      const imageId = await publishedImage(db, 1000);
      const [flaky, full, fine] = await enrol(context, 3);
      for (const name of [flaky, full, fine]) agents.online.add(name);
      const { id } = await createRollout(context, {
        imageId,
        hypervisors: [flaky, full, fine],
        strategy: "jitter",
        jitterSeconds: 2,
        maxAttempts: 2,
      });
      await tick();
      expect(precacheSent(agents).sort()).toEqual([flaky, full, fine].sort());
      expect(agents.sent.map((entry) => (entry.payload as { jitterMs: number }).jitterMs)).toEqual([2000, 2000, 2000]);

      const before = Date.now();
      await recordFinished(context, flaky, {
        resultId: crypto.randomUUID(),
        rolloutId: id,
        imageId,
        ok: false,
        bytes: 10,
        seconds: 1,
        error: { code: "FETCH_FAILED", message: "proxy refused" },
      });
      const retrying = await target(db, id, flaky);
      expect(retrying).toMatchObject({ state: "pending", attempts: 1, bytes: 0n, error: "FETCH_FAILED: proxy refused" });
      expect(retrying.nextAttemptAt!.getTime()).toBeGreaterThan(before);
      expect(await cell(db, flaky, imageId)).toMatchObject({ state: "pending", error: "FETCH_FAILED: proxy refused" });
      await tick(); // backoff not over: not sent again
      expect(precacheSent(agents)).toHaveLength(3);

      await db.rolloutTarget.update({
        where: { rolloutId_hypervisorName: { rolloutId: id, hypervisorName: flaky } },
        data: { nextAttemptAt: new Date(Date.now() - 1) },
      });
      await tick();
      expect(precacheSent(agents).filter((name) => name === flaky)).toHaveLength(2);
      expect(await target(db, id, flaky)).toMatchObject({ state: "downloading", attempts: 2 });

      await recordFinished(context, full, {
        resultId: crypto.randomUUID(),
        rolloutId: id,
        imageId,
        ok: false,
        bytes: 20,
        seconds: 1,
        error: { code: "DISK_FULL", message: "no space left" },
      });
      expect(await target(db, id, full)).toMatchObject({ state: "failed", attempts: 1, bytes: 20n, error: "DISK_FULL: no space left" });
      await recordFinished(context, fine, { resultId: crypto.randomUUID(), rolloutId: id, imageId, ok: true, bytes: 1000, seconds: 1 });
      expect((await getRollout(context, id)).state).toBe("running");
      await recordFinished(context, flaky, {
        resultId: crypto.randomUUID(),
        rolloutId: id,
        imageId,
        ok: false,
        bytes: 30,
        seconds: 1,
        error: { code: "HASH_MISMATCH", message: "sha512 differs" },
      });

      const view = await getRollout(context, id);
      expect(view).toMatchObject({ state: "failed", counts: { done: 1, failed: 2, pending: 0, downloading: 0 } });
      expect(view.hypervisors.find((row) => row.name === flaky)).toMatchObject({
        state: "failed",
        bytes: 30,
        attempts: 2,
        error: "HASH_MISMATCH: sha512 differs",
      });
      expect(await cell(db, flaky, imageId)).toMatchObject({ state: "failed", verified: false, error: "HASH_MISMATCH: sha512 differs" });
      expect(await cell(db, fine, imageId)).toMatchObject({ state: "cached", verified: true, bytes: 1000n });
    });

    it("refuses images without a ready artifact, unknown hypervisors and empty selections", async () => {
      const { context } = testContext(db);
      const [a] = await enrol(context, 1);
      const bare = crypto.randomUUID();
      await db.image.create({ data: { id: bare, name: "bare", status: "active", source: "glance" } });
      await expect(createRollout(context, { imageId: bare, hypervisors: [a] })).rejects.toMatchObject({ code: "ARTIFACT_NOT_READY" });
      await expect(createRollout(context, { imageId: "missing", hypervisors: [a] })).rejects.toMatchObject({ code: "IMAGE_NOT_FOUND" });
      const imageId = await publishedImage(db);
      await expect(createRollout(context, { imageId, hypervisors: [a, "nobody"] })).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: expect.stringContaining("nobody"),
      });
      await expect(createRollout(context, { imageId, groups: [uniqueName("no-such-group")] })).rejects.toMatchObject({
        code: "NO_TARGETS",
      });
      expect(await db.rollout.count({ where: { imageId } })).toBe(0);
    });

    it("cancels pending and downloading targets, aborts downloads in flight, once", async () => {
      const { context, ui, agents, tick } = testContext(db);
      const imageId = await publishedImage(db, 500);
      const [busy, waiting] = await enrol(context, 2);
      agents.online.add(busy);
      const { id } = await createRollout(context, { imageId, hypervisors: [busy, waiting] });
      await tick();
      expect(await target(db, id, busy)).toMatchObject({ state: "downloading" });
      expect(await target(db, id, waiting)).toMatchObject({ state: "pending" });

      const view = await cancelRollout(context, id);
      expect(view).toMatchObject({ state: "cancelled", counts: { cancelled: 2, downloading: 0, pending: 0 } });
      expect(view.finishedAt).not.toBeNull();
      expect(await db.hypervisorImage.findMany({ where: { imageId } })).toEqual([]);
      expect(agents.sent.filter((entry) => entry.event === "image:abort")).toEqual([
        { name: busy, event: "image:abort", payload: { imageId, rolloutId: id } },
      ]);
      expect(ui.events).toContainEqual(["cellChanged", waiting, expect.objectContaining({ imageId, state: "absent" })]);
      expect(ui.events.at(-1)).toEqual(["rolloutChanged", id, "cancelled"]);

      await expect(cancelRollout(context, id)).rejects.toMatchObject({ code: "ROLLOUT_FINISHED" });
      await expect(cancelRollout(context, "no-such-rollout")).rejects.toMatchObject({ code: "NOT_FOUND" });
      // The agent finishing afterwards does not reopen or re-finish the rollout.
      await recordFinished(context, busy, { resultId: crypto.randomUUID(), rolloutId: id, imageId, ok: true, bytes: 500, seconds: 1 });
      expect(await getRollout(context, id)).toMatchObject({ state: "cancelled", counts: { cancelled: 2, done: 0 } });
    });

    it("counts a hypervisor that already holds a verified copy as done at once", async () => {
      const { context, agents, tick } = testContext(db);
      const imageId = await publishedImage(db, 700);
      const [a] = await enrol(context, 1);
      agents.online.add(a);
      await db.hypervisorImage.create({ data: { hypervisorName: a, imageId, state: "cached", bytes: 700n, verified: true } });
      const { id } = await createRollout(context, { imageId, hypervisors: [a] });
      await tick();
      expect(await getRollout(context, id)).toMatchObject({
        state: "done",
        counts: { done: 1 },
        hypervisors: [{ name: a, state: "done", bytes: 700, attempts: 0 }],
      });
      expect(agents.sent).toEqual([]);
    });

    it("catchUpHypervisor: file present → done; in flight → left; lost or missing → pending for the scheduler", async () => {
      const { context, agents, pokes } = testContext(db);
      const imageId = await publishedImage(db, 900);
      const [present, active, lost, absent] = await enrol(context, 4);
      const { id } = await createRollout(context, { imageId, hypervisors: [present, active, lost, absent] });
      // As if dispatched before a server restart, and the agent then forgot it.
      await db.rolloutTarget.update({
        where: { rolloutId_hypervisorName: { rolloutId: id, hypervisorName: lost } },
        data: { state: "downloading", attempts: 1 },
      });
      // Dispatched before the restart and still in flight: only a dispatched target's result counts.
      await db.rolloutTarget.update({
        where: { rolloutId_hypervisorName: { rolloutId: id, hypervisorName: active } },
        data: { state: "downloading", attempts: 1, startedAt: new Date() },
      });
      const pokesBefore = pokes.count;

      await catchUpHypervisor(context, { name: present, inventory: [cachedFile(imageId, 900)], active: [] });
      await catchUpHypervisor(context, { name: active, inventory: [], active: [{ rolloutId: id, imageId, bytes: 5 }] });
      await catchUpHypervisor(context, { name: lost, inventory: [cachedFile("some-other-image", 1)], active: [] });
      await catchUpHypervisor(context, { name: absent, inventory: [], active: [] });

      const view = await getRollout(context, id);
      expect(view.state).toBe("running");
      expect(Object.fromEntries(view.hypervisors.map((row) => [row.name, [row.state, row.bytes, row.attempts]]))).toEqual({
        [present]: ["done", 900, 0],
        [active]: ["downloading", 0, 1],
        [lost]: ["pending", 0, 1],
        [absent]: ["pending", 0, 0],
      });
      expect(await cell(db, present, imageId)).toMatchObject({ state: "cached", verified: true, bytes: 900n });
      expect(await cell(db, lost, imageId)).toMatchObject({ state: "pending" });
      expect(pokes.count).toBeGreaterThan(pokesBefore);
      expect(agents.sent).toEqual([]); // sending is the scheduler's job

      await recordFinished(context, active, { resultId: crypto.randomUUID(), rolloutId: id, imageId, ok: true, bytes: 900, seconds: 1 });
      await catchUpHypervisor(context, { name: lost, inventory: [cachedFile(imageId, 900)], active: [] });
      await catchUpHypervisor(context, { name: absent, inventory: [cachedFile(imageId, 900)], active: [] });
      expect(await getRollout(context, id)).toMatchObject({ state: "done", counts: { done: 4 } });
    });

    it("catchUpHypervisor and claims: a queued command is in flight, a pending target the node runs is its own, lost claims are returned", async () => {
      const { context } = testContext(db);
      const imageId = await publishedImage(db, 900);
      const [queued, running, lost, retrying] = await enrol(context, 4);
      const { id } = await createRollout(context, { imageId, hypervisors: [queued, running, lost, retrying] });
      const at = (name: string) => ({ rolloutId_hypervisorName: { rolloutId: id, hypervisorName: name } });
      const claimed = { state: "downloading", attempts: 1, claim: 1, startedAt: new Date() };
      await db.rolloutTarget.update({ where: at(queued), data: claimed });
      await db.rolloutTarget.update({ where: at(lost), data: { ...claimed, claim: 3 } });
      // Put back after its command's answer was lost (OFFLINE): the server thinks it waits.
      await db.rolloutTarget.update({ where: at(running), data: { state: "pending", attempts: 0, claim: 1 } });
      // Its failure was recorded (a retry waits); the node's hello still lists that result, unacknowledged.
      const retryAt = new Date(Date.now() + 60_000);
      await db.rolloutTarget.update({ where: at(retrying), data: { state: "pending", attempts: 1, claim: 1, nextAttemptAt: retryAt } });

      // Its command waits behind this hello's catch-up: the node will have it.
      expect(await catchUpHypervisor(context, { name: queued, inventory: [], active: [] }, (rollout) => rollout === id)).toEqual([]);
      expect(await catchUpHypervisor(context, { name: running, inventory: [], active: [{ rolloutId: id, imageId, bytes: 7 }] })).toEqual(
        [],
      );
      expect(await catchUpHypervisor(context, { name: lost, inventory: [], active: [] })).toEqual([{ rolloutId: id, claim: 3 }]);
      expect(await catchUpHypervisor(context, { name: retrying, inventory: [], active: [{ rolloutId: id, imageId, bytes: 3 }] })).toEqual(
        [],
      );

      const targets = Object.fromEntries(
        (await db.rolloutTarget.findMany({ where: { rolloutId: id } })).map((t) => [t.hypervisorName, [t.state, t.claim, t.attempts]]),
      );
      expect(targets).toEqual({
        [queued]: ["downloading", 1, 1],
        [running]: ["downloading", 2, 1],
        [lost]: ["pending", 3, 1],
        [retrying]: ["pending", 1, 1],
      });
      expect(await cell(db, running, imageId)).toMatchObject({ state: "downloading", bytes: 7n });
    });

    // The agent sends download:finished and then inventory:reported; the server handles them
    // concurrently. Here the result lands between the inventory's read and its write.
    it("an inventory report racing download:finished does not undo verified", async () => {
      const { context, agents, tick } = testContext(db);
      const imageId = await publishedImage(db, 800);
      const [a] = await enrol(context, 1);
      agents.online.add(a);
      const { id } = await createRollout(context, { imageId, hypervisors: [a] });
      await tick();
      expect(await cell(db, a, imageId)).toMatchObject({ state: "downloading" });

      let isFinishedRecorded = false;
      const racingDb = new Proxy(db, {
        get(target, property, receiver) {
          if (property !== "hypervisorImage") return Reflect.get(target, property, receiver);
          return new Proxy(target.hypervisorImage, {
            get(model, method, modelReceiver) {
              if (method !== "upsert") return Reflect.get(model, method, modelReceiver);
              return async (args: Parameters<Db["hypervisorImage"]["upsert"]>[0]) => {
                if (!isFinishedRecorded) {
                  isFinishedRecorded = true;
                  await recordFinished(context, a, {
                    resultId: crypto.randomUUID(),
                    rolloutId: id,
                    imageId,
                    ok: true,
                    bytes: 800,
                    seconds: 1,
                  });
                }
                return model.upsert(args);
              };
            },
          });
        },
      });
      await applyInventory({ ...context, db: racingDb }, a, [cachedFile(imageId, 800)]);
      expect(isFinishedRecorded).toBe(true);
      expect(await cell(db, a, imageId)).toMatchObject({ state: "cached", bytes: 800n, verified: true, error: null });
      expect(await getRollout(context, id)).toMatchObject({ state: "done" });
    });

    it("metrics count an open rollout's targets by state, for Prometheus", async () => {
      const { context } = testContext(db);
      const imageId = await publishedImage(db, 100);
      const rack = uniqueName("metrics-rack");
      await enrol(context, 3, { group: rack });
      const { id } = await createRollout(context, { imageId, groups: [rack] });
      const { text } = await scrapeMetrics(context);
      expect(text).toContain(
        `precache_rollout_targets{rollout_id="${id}",image_id="${imageId}",rollout_state="running",state="pending"} 3\n`,
      );
      expect(text).toMatch(/^# TYPE precache_rollout_targets gauge$/m);
      await cancelRollout(context, id);
      expect((await scrapeMetrics(context)).text).not.toContain(`rollout_id="${id}"`);
    });

    it("an operator's group wins over the agent's, and the dashboard hears of it", async () => {
      const { context, ui } = testContext(db);
      const [name] = await enrol(context, 1, { group: uniqueName("agent-rack") });
      const chosen = uniqueName("operator-rack");
      await setHypervisorGroup(context, name, chosen);
      expect(await db.hypervisor.findUniqueOrThrow({ where: { name } })).toMatchObject({ group: chosen, groupSetBy: "operator" });
      expect(ui.events).toContainEqual(["hypervisorChanged", expect.objectContaining({ name, group: chosen })]);
      await expect(setHypervisorGroup(context, uniqueName("nobody"), chosen)).rejects.toMatchObject({ code: "NOT_FOUND" });
    });

    it("a hypervisor that joins a group later joins that group's running rollout", async () => {
      const { context } = testContext(db);
      const imageId = await publishedImage(db, 100);
      const rack = uniqueName("rack");
      const [first] = await enrol(context, 1, { group: rack });
      expect(await db.hypervisor.findUniqueOrThrow({ where: { name: first } })).toMatchObject({ group: rack, groupSetBy: "agent" });
      const { id } = await createRollout(context, { imageId, groups: [rack] });

      const [late] = await enrol(context, 1, { group: rack });
      const [outsider] = await enrol(context, 1, { group: uniqueName("other-rack") });
      for (const name of [late, outsider]) await catchUpHypervisor(context, { name, inventory: [], active: [] });
      expect((await getRollout(context, id)).hypervisors.map((row) => [row.name, row.state])).toEqual(
        [
          [first, "pending"],
          [late, "pending"],
        ].sort(),
      );
    });
  });
});

// ---- the whole server on Postgres ----

const skipServer = postgresSkipReason();

describe.skipIf(skipServer !== null)("the server on Postgres (DATABASE_URL)", () => {
  let database: Awaited<ReturnType<typeof postgresTestUrl>>;
  let server: TestServer;
  let agent: PrecacheAgent;
  const temps: string[] = [];

  beforeAll(async () => {
    assertPostgres();
    database = await postgresTestUrl();
    server = await startTestServer({ DATABASE_URL: database.url });
    temps.push(server.dataDir);
    agent = await startTestAgent(server.url, "hv-postgres");
    temps.push(agent.config.cacheDir);
  });
  afterAll(async () => {
    await agent?.stop();
    await server?.close();
    if (database) {
      await database.drop();
      expect(await postgresDatabaseExists(database.name)).toBe(false);
    }
    for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("publishes and rolls out to one agent, with every row in Postgres", async () => {
    const { body } = await server.api("GET", "/api/images");
    expect(body.images).toHaveLength(1);
    const image = body.images[0];
    const artifact = await publishAndWait(server, image.id);
    const rollout = await rolloutAndWait(server, { imageId: image.id });
    expect(rollout).toMatchObject({
      state: "done",
      counts: { done: 1, failed: 0 },
      hypervisors: [{ name: "hv-postgres", state: "done", bytes: image.size }],
    });

    const placed = path.join(agent.config.cacheDir, baseFileName(image.id));
    expect(crypto.createHash("sha512").update(fs.readFileSync(placed)).digest("hex")).toBe(image.osHashValue);

    // Read back through a separate connection: the state lives in this Postgres database, not in PGlite.
    expect(fs.existsSync(path.join(server.dataDir, "pglite"))).toBe(false);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const artifacts = await client.query(`SELECT state, sha256, "compressedSize"::text AS size FROM "Artifact" WHERE "imageId" = $1`, [
        image.id,
      ]);
      expect(artifacts.rows).toEqual([{ state: "ready", sha256: artifact.sha256, size: String(artifact.compressedSize) }]);
      const targets = await client.query(`SELECT "hypervisorName", state FROM "RolloutTarget" WHERE "rolloutId" = $1`, [rollout.id]);
      expect(targets.rows).toEqual([{ hypervisorName: "hv-postgres", state: "done" }]);
      const cells = await client.query(`SELECT state, verified FROM "HypervisorImage" WHERE "hypervisorName" = 'hv-postgres'`);
      expect(cells.rows).toEqual([{ state: "cached", verified: true }]);
    } finally {
      await client.end();
    }
  });
});
