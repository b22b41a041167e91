// The database layer on both engines: migrations, image sync, hypervisors and their cache,
// rollout lifecycle. Then the whole server on Postgres, publish → rollout → one real agent.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { baseFileName } from "../agent/download/cache-paths.ts";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import type { AgentHello, CachedFile } from "../protocol/events.ts";
import type { AppContext } from "../server/context.ts";
import { MIGRATIONS_DIR, migrate } from "../server/db/migrate.ts";
import type { Db } from "../server/db/open-database.ts";
import type { ImageSource, SourceImage } from "../server/glance/source-image.ts";
import { applyInventory } from "../server/hypervisors/apply-inventory.ts";
import { markHypervisorOffline, registerHypervisor } from "../server/hypervisors/register-hypervisor.ts";
import { syncImages } from "../server/images/sync-images.ts";
import type { AgentHub } from "../server/realtime/agent-hub.ts";
import type { UiHub } from "../server/realtime/ui-hub.ts";
import { createRollout } from "../server/rollouts/create-rollout.ts";
import { recordFinished, recordProgress } from "../server/rollouts/record-download.ts";
import { cancelRollout, catchUpHypervisor, getRollout } from "../server/rollouts/rollout-commands.ts";
import { describeEachDatabase, postgresDatabaseExists, postgresSkipReason, assertPostgres, postgresTestUrl } from "./support/databases.ts";
import { startTestAgent } from "./support/test-agent.ts";
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
    diskFormat: "raw",
    containerFormat: "bare",
    checksum: "0".repeat(32),
    osHashAlgo: "sha512",
    osHashValue: "a".repeat(128),
    visibility: "public",
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
    attach: () => undefined,
    close: () => undefined,
  };
  return ui;
}

function offlineAgents() {
  const sent: { name: string; event: string; payload: unknown }[] = [];
  return {
    sent,
    isOnline: () => false,
    onlineNames: () => [],
    send: async (name: string, event: string, payload: unknown) => {
      sent.push({ name, event, payload });
      return { ok: false as const, error: { code: "OFFLINE", message: `hypervisor ${name} is not connected` } };
    },
  };
}

function testContext(db: Db, source: ImageSource = new ListedSource([])) {
  const ui = recordingUi();
  const agents = offlineAgents();
  const context = {
    db,
    source,
    log: pino({ level: "silent" }),
    ui: ui as unknown as UiHub,
    agents: agents as unknown as AgentHub,
    publicUrl: "http://precache.test:3000",
    tasks: new Set<Promise<unknown>>(),
    publishing: new Map(),
  } as unknown as AppContext;
  return { context, ui, agents };
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

function cachedFile(imageId: string, bytes: number): CachedFile {
  return { fileName: baseFileName(imageId), bytes, mtimeMs: Date.now() };
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

// ---- migrations ----

describeEachDatabase("migrations", (under) => {
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
      expect.arrayContaining(["Artifact", "Hypervisor", "HypervisorImage", "Image", "Rollout", "RolloutTarget", "_prisma_migrations"]),
    );

    expect(await migrate(driver)).toEqual([]);
    const after = await driver.query<{ count: string | number }>(`SELECT count(*) AS count FROM "_prisma_migrations"`);
    expect(Number(after[0].count)).toBe(names.length);
  });
});

// ---- images ----

describeEachDatabase("image sync", (under) => {
  it("upserts what the source lists and marks vanished images deleted, once", async () => {
    const big = sourceImage({ name: "big", size: 5 * GiB + 7 });
    const small = sourceImage({ name: "small", size: 1, osHashValue: null, osHashAlgo: null });
    const source = new ListedSource([big, small]);
    const { context } = testContext(under.database.prisma, source);

    expect(await syncImages(context)).toEqual({ count: 2, removed: 0 });
    const first = await context.db.image.findUniqueOrThrow({ where: { id: big.id } });
    expect(first).toMatchObject({ name: "big", status: "active", size: BigInt(5 * GiB + 7), diskFormat: "raw", source: "glance", glanceUpdatedAt: big.updatedAt });
    expect(Number(first.size)).toBe(5 * GiB + 7);
    expect(await context.db.image.findUniqueOrThrow({ where: { id: small.id } })).toMatchObject({ osHashAlgo: null, osHashValue: null, size: 1n });

    const added = sourceImage({ name: "added", size: null });
    source.images = [{ ...big, name: "big-renamed", status: "deactivated" }, added];
    expect(await syncImages(context)).toEqual({ count: 2, removed: 1 });
    expect(await context.db.image.findUniqueOrThrow({ where: { id: big.id } })).toMatchObject({ name: "big-renamed", status: "deactivated" });
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

// ---- hypervisors ----

describeEachDatabase("hypervisors", (under) => {
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
    expect(row).toMatchObject({ online: true, version: "0.1.0-test", cacheDir: "/var/lib/nova/instances/_base", proxies: ["http://squid-a:3128", "http://squid-b.rack-2:3128"] });
    expect(row.freeBytes).toBe(BigInt(7.5 * 1024 * GiB));
    expect(row.images.map((image) => ({ imageId: image.imageId, state: image.state, bytes: image.bytes, verified: image.verified, error: image.error }))).toEqual([
      { imageId: short, state: "cached", bytes: 1000n, verified: false, error: "size 1000 differs from image size 2048" },
      { imageId: whole, state: "cached", bytes: BigInt(6 * GiB + 1), verified: false, error: null },
    ]);
    expect(ui.events.filter(([method]) => method === "hypervisorChanged")).toEqual([["hypervisorChanged", expect.objectContaining({ name, online: true, freeBytes: 7.5 * 1024 * GiB })]]);
    expect(ui.events.filter(([method]) => method === "cellChanged").map(([, hv, cell]) => [hv, (cell as { imageId: string }).imageId]).sort()).toEqual(
      [[name, whole], [name, short]].sort(),
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
    expect(ui.events).toEqual([["cellChanged", name, { imageId: vanished, state: "absent", bytes: 0, totalBytes: null, error: null }]]);
  });
});

// ---- rollouts ----

describeEachDatabase("rollouts", (under) => {
  let db: Db;
  beforeEach(() => {
    db = under.database.prisma;
  });

  async function enrol(context: AppContext, count: number, inventory: CachedFile[] = []) {
    const names = Array.from({ length: count }, (_, index) => uniqueName(`hv${index}`));
    for (const name of names) await registerHypervisor(context, hello(name, { inventory }));
    return names;
  }

  async function settle(context: AppContext) {
    await Promise.all([...context.tasks]);
  }

  it("goes pending → downloading → done, with BigInt bytes beyond 4 GiB", async () => {
    const size = 5 * GiB + 3;
    const { context, ui } = testContext(db);
    const imageId = await publishedImage(db, size);
    const [a, b] = await enrol(context, 2);

    const created = await createRollout(context, { imageId, hypervisors: [a, b], jitterSeconds: 1.5 });
    expect(created.state).toBe("running");
    await settle(context);
    let view = await getRollout(context, created.id);
    expect(view).toMatchObject({ imageId, state: "running", counts: { pending: 2, downloading: 0, done: 0, failed: 0 } });
    expect((await db.rollout.findUniqueOrThrow({ where: { id: created.id } })).jitterMs).toBe(1500);
    const cells = await db.hypervisorImage.findMany({ where: { imageId } });
    expect(cells.map((cell) => cell.state)).toEqual(["pending", "pending"]);

    await recordProgress(context, a, { rolloutId: created.id, imageId, bytes: 4.5 * GiB, totalBytes: size });
    view = await getRollout(context, created.id);
    expect(view.counts).toMatchObject({ pending: 1, downloading: 1 });
    expect(view.hypervisors.find((target) => target.name === a)).toMatchObject({ state: "downloading", bytes: 4.5 * GiB });
    expect((await db.hypervisorImage.findUniqueOrThrow({ where: { hypervisorName_imageId: { hypervisorName: a, imageId } } })).bytes).toBe(BigInt(4.5 * GiB));

    await recordFinished(context, a, { rolloutId: created.id, imageId, ok: true, bytes: size, seconds: 3 });
    expect((await getRollout(context, created.id)).state).toBe("running");
    await recordFinished(context, b, { rolloutId: created.id, imageId, ok: true, bytes: size, seconds: 4 });

    view = await getRollout(context, created.id);
    expect(view).toMatchObject({ state: "done", counts: { pending: 0, downloading: 0, done: 2, failed: 0 } });
    expect(view.finishedAt).not.toBeNull();
    expect(view.hypervisors.map((target) => target.bytes)).toEqual([size, size]);
    const done = await db.hypervisorImage.findMany({ where: { imageId } });
    expect(done.map((cell) => [cell.state, cell.verified, cell.bytes])).toEqual([
      ["cached", true, BigInt(size)],
      ["cached", true, BigInt(size)],
    ]);
    expect(ui.events.filter(([method]) => method === "rolloutChanged")).toEqual([
      ["rolloutChanged", created.id, "running"],
      ["rolloutChanged", created.id, "done"],
    ]);

    // Late messages for a finished target change nothing.
    await recordProgress(context, a, { rolloutId: created.id, imageId, bytes: 1, totalBytes: size });
    expect((await getRollout(context, created.id)).hypervisors.find((target) => target.name === a)).toMatchObject({ state: "done", bytes: size });
  });

  it("ends failed when any target fails, keeping the agent's error", async () => {
    const { context } = testContext(db);
    const imageId = await publishedImage(db, 1000);
    const [a, b] = await enrol(context, 2);
    const { id } = await createRollout(context, { imageId, hypervisors: [a, b] });
    await recordFinished(context, a, { rolloutId: id, imageId, ok: true, bytes: 1000, seconds: 1 });
    await recordFinished(context, b, { rolloutId: id, imageId, ok: false, bytes: 10, seconds: 1, error: { code: "HASH_MISMATCH", message: "sha512 differs" } });
    const view = await getRollout(context, id);
    expect(view).toMatchObject({ state: "failed", counts: { done: 1, failed: 1, pending: 0, downloading: 0 } });
    expect(view.hypervisors.find((target) => target.name === b)).toMatchObject({ state: "failed", bytes: 10, error: "HASH_MISMATCH: sha512 differs" });
    expect(await db.hypervisorImage.findUniqueOrThrow({ where: { hypervisorName_imageId: { hypervisorName: b, imageId } } })).toMatchObject({
      state: "failed",
      verified: false,
      error: "HASH_MISMATCH: sha512 differs",
    });
  });

  it("refuses images without a ready artifact and unknown hypervisors", async () => {
    const { context } = testContext(db);
    const [a] = await enrol(context, 1);
    const bare = crypto.randomUUID();
    await db.image.create({ data: { id: bare, name: "bare", status: "active", source: "glance" } });
    await expect(createRollout(context, { imageId: bare, hypervisors: [a] })).rejects.toMatchObject({ code: "ARTIFACT_NOT_READY" });
    await expect(createRollout(context, { imageId: "missing", hypervisors: [a] })).rejects.toMatchObject({ code: "IMAGE_NOT_FOUND" });
    const imageId = await publishedImage(db);
    await expect(createRollout(context, { imageId, hypervisors: [a, "nobody"] })).rejects.toMatchObject({ code: "NOT_FOUND", message: expect.stringContaining("nobody") });
    expect(await db.rollout.count({ where: { imageId } })).toBe(0);
  });

  it("cancels pending targets and their pending cells, once", async () => {
    const { context, ui } = testContext(db);
    const imageId = await publishedImage(db, 500);
    const [a, b] = await enrol(context, 2);
    const { id } = await createRollout(context, { imageId, hypervisors: [a, b] });
    await recordProgress(context, a, { rolloutId: id, imageId, bytes: 100, totalBytes: 500 });

    const view = await cancelRollout(context, id);
    expect(view).toMatchObject({ state: "cancelled", counts: { cancelled: 1, downloading: 1, pending: 0 } });
    expect(view.finishedAt).not.toBeNull();
    const cells = await db.hypervisorImage.findMany({ where: { imageId } });
    expect(cells.map((cell) => [cell.hypervisorName, cell.state])).toEqual([[a, "downloading"]]);
    expect(ui.events).toContainEqual(["cellChanged", b, expect.objectContaining({ imageId, state: "absent" })]);
    expect(ui.events.at(-1)).toEqual(["rolloutChanged", id, "cancelled"]);

    await expect(cancelRollout(context, id)).rejects.toMatchObject({ code: "ROLLOUT_FINISHED" });
    await expect(cancelRollout(context, "no-such-rollout")).rejects.toMatchObject({ code: "NOT_FOUND" });
    // The agent finishing afterwards does not reopen or re-finish the rollout.
    await recordFinished(context, b, { rolloutId: id, imageId, ok: true, bytes: 500, seconds: 1 });
    expect(await getRollout(context, id)).toMatchObject({ state: "cancelled", counts: { cancelled: 1 } });
  });

  it("counts a hypervisor that already holds a verified copy as done at once", async () => {
    const { context, agents } = testContext(db);
    const imageId = await publishedImage(db, 700);
    const [a] = await enrol(context, 1);
    await db.hypervisorImage.create({ data: { hypervisorName: a, imageId, state: "cached", bytes: 700n, verified: true } });
    const { id } = await createRollout(context, { imageId, hypervisors: [a] });
    await settle(context);
    expect(await getRollout(context, id)).toMatchObject({ state: "done", counts: { done: 1 }, hypervisors: [{ name: a, state: "done", bytes: 700 }] });
    expect(agents.sent).toEqual([]);
  });

  it("catchUpHypervisor: file present → done; in flight → left; neither → command sent again", async () => {
    const { context, agents } = testContext(db);
    const imageId = await publishedImage(db, 900);
    const [present, active, absent] = await enrol(context, 3);
    const { id } = await createRollout(context, { imageId, hypervisors: [present, active, absent] });
    await settle(context);
    expect(agents.sent).toEqual([]); // all offline at creation

    await catchUpHypervisor(context, { name: present, inventory: [cachedFile(imageId, 900)], active: [] });
    await catchUpHypervisor(context, { name: active, inventory: [], active: [{ rolloutId: id, imageId, bytes: 5 }] });
    await catchUpHypervisor(context, { name: absent, inventory: [cachedFile("some-other-image", 1)], active: [] });

    const view = await getRollout(context, id);
    expect(view.state).toBe("running");
    expect(Object.fromEntries(view.hypervisors.map((target) => [target.name, [target.state, target.bytes, target.attempts]]))).toEqual({
      [present]: ["done", 900, 0],
      [active]: ["pending", 0, 0],
      [absent]: ["pending", 0, 1],
    });
    expect(agents.sent).toEqual([
      {
        name: absent,
        event: "image:precache",
        payload: expect.objectContaining({ rolloutId: id, imageId, artifactUrl: `http://precache.test:3000/artifacts/${imageId}/${"c".repeat(64)}.gz`, imageSize: 900 }),
      },
    ]);
    expect(await db.hypervisorImage.findUniqueOrThrow({ where: { hypervisorName_imageId: { hypervisorName: present, imageId } } })).toMatchObject({
      state: "cached",
      verified: true,
      bytes: 900n,
    });

    await recordFinished(context, active, { rolloutId: id, imageId, ok: true, bytes: 900, seconds: 1 });
    await catchUpHypervisor(context, { name: absent, inventory: [cachedFile(imageId, 900)], active: [] });
    expect(await getRollout(context, id)).toMatchObject({ state: "done", counts: { done: 3 } });
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
    expect(rollout).toMatchObject({ state: "done", counts: { done: 1, failed: 0 }, hypervisors: [{ name: "hv-postgres", state: "done", bytes: image.size }] });

    const placed = path.join(agent.config.cacheDir, baseFileName(image.id));
    expect(crypto.createHash("sha512").update(fs.readFileSync(placed)).digest("hex")).toBe(image.osHashValue);

    // Read back through a separate connection: the state lives in this Postgres database, not in PGlite.
    expect(fs.existsSync(path.join(server.dataDir, "pglite"))).toBe(false);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const artifacts = await client.query(`SELECT state, sha256, "compressedSize"::text AS size FROM "Artifact" WHERE "imageId" = $1`, [image.id]);
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
