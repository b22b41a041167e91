// Which server processes share this database. Each has a row with a heartbeat, deleted at a clean
// stop; with Postgres each also holds an advisory lock (PRESENCE_LOCK, its lockKey) on a
// connection of its own, which Postgres frees the moment the process dies. A server is alive
// while its heartbeat is fresh and (with Postgres) its lock is held: a SIGKILLed server is known
// dead at once, a cut-off one within DEAD_AFTER_MS. The leader removes dead servers' rows and
// takes their agents offline (leader-duties.ts); those agents reconnect, through the load
// balancer, to a live server whose hello marks them online again.
import crypto from "node:crypto";
import pg from "pg";
import type { Logger } from "pino";
import type { Db } from "../db/open-database.ts";

export const HEARTBEAT_MS = 2000;
/** A server whose heartbeat is older than this is gone (several missed beats, not one slow write). */
export const DEAD_AFTER_MS = 10_000;
/** First key of the presence locks ("prsn"); the second is each server's lockKey. */
export const PRESENCE_LOCK = 0x7072736e;

export type ServerInstancesOptions = {
  db: () => Db;
  log: Logger;
  /** Postgres: liveness also by advisory lock. null (PGlite, one process): by heartbeat only. */
  databaseUrl: string | null;
  heartbeatMs?: number;
  deadAfterMs?: number;
  /**
   * Our row had been removed (a leader took us for dead during a database outage and took our
   * agents offline): put this server's connected agents back online.
   */
  onRevived?: () => Promise<void>;
};

export class ServerInstances {
  readonly id = crypto.randomUUID();
  /** Positive, so that it reads back unchanged from pg_locks' oid column. */
  private readonly lockKey = crypto.randomInt(1, 2 ** 31 - 1);
  private lockClient: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private beat: Promise<void> = Promise.resolve();
  private url = "";
  private isStopped = false;

  constructor(private readonly options: ServerInstancesOptions) {}

  /** Before the server listens: no agent may say hello to a server the others do not know. */
  async start(): Promise<void> {
    await this.holdLock();
    await this.options.db().serverInstance.create({ data: { id: this.id, url: this.url, lockKey: this.lockKey } });
    this.timer = setInterval(() => {
      this.beat = this.beat.then(() => this.heartbeat());
    }, this.options.heartbeatMs ?? HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Where this server answers, once it listens (for the operator's view of the cluster). */
  async announce(url: string): Promise<void> {
    this.url = url;
    await this.options.db().serverInstance.updateMany({ where: { id: this.id }, data: { url } });
  }

  private async holdLock(): Promise<void> {
    if (!this.options.databaseUrl || this.lockClient || this.isStopped) return;
    const client = new pg.Client({ connectionString: this.options.databaseUrl, connectionTimeoutMillis: 5000 });
    client.on("error", (error) => {
      this.options.log.warn({ error: error.message }, "presence connection lost; taking the lock again at the next heartbeat");
      if (this.lockClient === client) this.lockClient = null;
      void client.end().catch(() => undefined);
    });
    await client.connect();
    await client.query("SELECT pg_advisory_lock($1, $2)", [PRESENCE_LOCK, this.lockKey]);
    this.lockClient = client;
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.holdLock();
      const db = this.options.db();
      const { count } = await db.serverInstance.updateMany({ where: { id: this.id }, data: { heartbeatAt: new Date() } });
      if (count > 0) return;
      await db.serverInstance.create({ data: { id: this.id, url: this.url, lockKey: this.lockKey } });
      this.options.log.warn({ server: this.id }, "this server had been taken for dead: announcing its agents again");
      await this.options.onRevived?.();
    } catch (error) {
      this.options.log.warn({ error: (error as Error).message }, "server heartbeat not written");
    }
  }

  /** Ids of live servers, this one included. */
  async aliveIds(): Promise<Set<string>> {
    const since = new Date(Date.now() - (this.options.deadAfterMs ?? DEAD_AFTER_MS));
    const db = this.options.db();
    if (!this.options.databaseUrl) {
      const rows = await db.serverInstance.findMany({ where: { heartbeatAt: { gte: since } }, select: { id: true } });
      return new Set([this.id, ...rows.map((row) => row.id)]);
    }
    const rows = await db.$queryRaw<{ id: string }[]>`
      SELECT s.id FROM "ServerInstance" s
      WHERE s."heartbeatAt" >= ${since} AND EXISTS (
        SELECT 1 FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid = ${PRESENCE_LOCK}::bigint::oid AND l.objid = s."lockKey"::bigint::oid)`;
    return new Set([this.id, ...rows.map((row) => row.id)]);
  }

  /** Deletes the rows of servers that are not alive; returns their ids. */
  async reapDead(): Promise<string[]> {
    const alive = await this.aliveIds();
    const dead = await this.options.db().serverInstance.findMany({ where: { id: { notIn: [...alive] } }, select: { id: true, url: true } });
    if (!dead.length) return [];
    await this.options.db().serverInstance.deleteMany({ where: { id: { in: dead.map((row) => row.id) } } });
    for (const row of dead) this.options.log.warn({ server: row.id, url: row.url }, "server gone: taking its agents offline");
    return dead.map((row) => row.id);
  }

  /** A clean stop: others need not wait to learn it. */
  async stop(): Promise<void> {
    this.isStopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.beat;
    await this.options
      .db()
      .serverInstance.deleteMany({ where: { id: this.id } })
      .catch(() => undefined);
    await this.lockClient?.end().catch(() => undefined);
    this.lockClient = null;
  }
}

/** Whether the server with this id still beats (a publish it started is its to finish). */
export async function isServerAlive(db: Db, id: string, deadAfterMs = DEAD_AFTER_MS): Promise<boolean> {
  const row = await db.serverInstance.findUnique({ where: { id }, select: { heartbeatAt: true } });
  return row !== null && row.heartbeatAt.getTime() >= Date.now() - deadAfterMs;
}
