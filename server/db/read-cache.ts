// Reads every agent event would otherwise repeat (the image index, group proxies, pinned images,
// whether any rollout is open), kept for a few seconds. One instance per server, built in app.ts;
// it forgets what domain events say changed (see server/events/wire-subscribers.ts). Unknown base
// file names reload recent images at once (one query per inventory, not per name; each unknown
// name at most every few seconds).
import { baseFileName } from "../../protocol/nova-files.ts";
import { MAX_INVENTORY_FILES } from "../../protocol/events.ts";
import type { Db } from "./open-database.ts";

const TTL_MS = 5000;
const MISS_RELOAD_MS = 5000;
/** Two full inventories' worth of unknown names (a few MB): enough to spare repeated lookups. */
const MAX_MISSES = 2 * MAX_INVENTORY_FILES;

/** What inventories need to recognise a base file and judge its size (raw, or converted to raw). */
export type IndexedImage = { id: string; size: bigint | null; virtualSize: bigint | null; diskFormat: string | null };
const INDEXED_FIELDS = { id: true, size: true, virtualSize: true, diskFormat: true } as const;
type Entry<T> = { value: T; at: number } | null;

export class ReadCache {
  private imagesEntry: Entry<{ byFileName: Map<string, IndexedImage>; byId: Map<string, IndexedImage> }> = null;
  private groupsEntry: Entry<{ groups: Map<string, string[]>; pinned: string[] }> = null;
  private openRolloutsEntry: Entry<boolean> = null;
  /** Base file names of images we do not know (nova's own downloads, junk), and when we last looked. */
  private misses = new Map<string, number>();

  /** `deps.db` is read on every query: whoever holds the context may swap the client (tests do, to fake an outage). */
  constructor(private readonly deps: { readonly db: Db }) {}

  /**
   * The images behind an inventory's base file names, in at most two queries however long the
   * inventory: the cached index, then (if some names are new to us) images synced since it was read.
   */
  async imagesByFileNames(fileNames: readonly string[]): Promise<Map<string, IndexedImage>> {
    const index = await this.images();
    const found = new Map<string, IndexedImage>();
    const now = Date.now();
    const unlooked: string[] = [];
    for (const fileName of fileNames) {
      const image = index.byFileName.get(fileName);
      const missedAt = this.misses.get(fileName);
      if (image) found.set(fileName, image);
      else if (missedAt === undefined || now - missedAt >= MISS_RELOAD_MS) unlooked.push(fileName);
    }
    if (unlooked.length === 0) return found;
    // Images written since the index was loaded (the sync invalidates, but be exact).
    const since = new Date((this.imagesEntry?.at ?? 0) - 1000);
    for (const row of await this.deps.db.image.findMany({ where: { syncedAt: { gte: since } }, select: INDEXED_FIELDS })) {
      index.byFileName.set(baseFileName(row.id), row);
      index.byId.set(row.id, row);
    }
    for (const fileName of unlooked) {
      const image = index.byFileName.get(fileName);
      if (image) found.set(fileName, image);
      else this.misses.set(fileName, now);
    }
    this.pruneMisses(now);
    return found;
  }

  /** Forgets misses old enough to be looked up again; past the cap, all of them (they only save a query). */
  private pruneMisses(now: number): void {
    if (this.misses.size <= MAX_MISSES) return;
    for (const [fileName, missedAt] of this.misses) if (now - missedAt >= MISS_RELOAD_MS) this.misses.delete(fileName);
    if (this.misses.size > MAX_MISSES) this.misses.clear();
  }

  /** How many unknown names are remembered (bounded by MAX_MISSES after each lookup). */
  get missCount(): number {
    return this.misses.size;
  }

  async imageById(id: string): Promise<IndexedImage | undefined> {
    return (
      (await this.images()).byId.get(id) ?? (await this.deps.db.image.findUnique({ where: { id }, select: INDEXED_FIELDS })) ?? undefined
    );
  }

  async topology(): Promise<{ groups: Map<string, string[]>; pinned: string[] }> {
    if (this.groupsEntry && Date.now() - this.groupsEntry.at < TTL_MS) return this.groupsEntry.value;
    const [groups, pinned] = await Promise.all([
      this.deps.db.hypervisorGroup.findMany({ select: { name: true, proxies: true } }),
      this.deps.db.image.findMany({ where: { pinned: true }, select: { id: true } }),
    ]);
    const value = { groups: new Map(groups.map((group) => [group.name, group.proxies])), pinned: pinned.map((image) => image.id) };
    this.groupsEntry = { value, at: Date.now() };
    return value;
  }

  async hasOpenRollouts(): Promise<boolean> {
    if (this.openRolloutsEntry && Date.now() - this.openRolloutsEntry.at < TTL_MS) return this.openRolloutsEntry.value;
    const value = (await this.deps.db.rollout.count({ where: { state: { in: ["running", "paused"] } } })) > 0;
    this.openRolloutsEntry = { value, at: Date.now() };
    return value;
  }

  invalidate(part: "images" | "topology" | "rollouts"): void {
    if (part === "images") this.imagesEntry = null;
    if (part === "topology") this.groupsEntry = null;
    if (part === "rollouts") this.openRolloutsEntry = null;
  }

  private async images() {
    if (this.imagesEntry && Date.now() - this.imagesEntry.at < TTL_MS) return this.imagesEntry.value;
    const rows = await this.deps.db.image.findMany({ select: INDEXED_FIELDS });
    const value = { byFileName: new Map(rows.map((row) => [baseFileName(row.id), row])), byId: new Map(rows.map((row) => [row.id, row])) };
    this.imagesEntry = { value, at: Date.now() };
    return value;
  }
}
