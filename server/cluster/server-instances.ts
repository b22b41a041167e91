// Which server processes share this database, by heartbeat: each writes its row every few seconds
// and deletes it at a clean stop. The leader removes rows whose heartbeat stopped (a killed or
// cut-off server) and takes that server's agents offline; it resumes that server's unfinished
// publishes too. Agents of a dead server reconnect (through the load balancer) to a live one,
// whose hello marks them online again, so nothing waits for the sweep but the dashboard.
import crypto from "node:crypto";
import type { Logger } from "pino";
import type { Db } from "../db/open-database.ts";

export const HEARTBEAT_MS = 2000;
/** A server whose heartbeat is older than this is gone (several missed beats, not one slow write). */
export const DEAD_AFTER_MS = 10_000;

/** Whether the server with this id still beats (a publish it started is its to finish). */
export async function isServerAlive(db: Db, id: string, deadAfterMs = DEAD_AFTER_MS): Promise<boolean> {
  const row = await db.serverInstance.findUnique({ where: { id }, select: { heartbeatAt: true } });
  return row !== null && row.heartbeatAt.getTime() >= Date.now() - deadAfterMs;
}

export type ServerInstancesOptions = {
  db: () => Db;
  log: Logger;
  heartbeatMs?: number;
  deadAfterMs?: number;
  /**
   * Our row had been removed (a leader took us for dead during a long database outage, and took
   * our agents offline): put this server's connected agents back online.
   */
  onRevived?: () => Promise<void>;
};

export class ServerInstances {
  readonly id = crypto.randomUUID();
  private timer: NodeJS.Timeout | null = null;
  private beat: Promise<void> = Promise.resolve();

  constructor(private readonly options: ServerInstancesOptions) {}

  private url = "";

  /** Before the server listens: no agent may say hello to a server the others do not know. */
  async start(): Promise<void> {
    await this.options.db().serverInstance.create({ data: { id: this.id, url: this.url } });
    this.timer = setInterval(() => {
      this.beat = this.beat.then(() => this.heartbeat());
    }, this.options.heartbeatMs ?? HEARTBEAT_MS);
    this.timer.unref();
  }

  private async heartbeat(): Promise<void> {
    try {
      const db = this.options.db();
      const { count } = await db.serverInstance.updateMany({ where: { id: this.id }, data: { heartbeatAt: new Date() } });
      if (count > 0) return;
      await db.serverInstance.create({ data: { id: this.id, url: this.url } });
      this.options.log.warn({ server: this.id }, "this server had been taken for dead: announcing its agents again");
      await this.options.onRevived?.();
    } catch (error) {
      this.options.log.warn({ error: (error as Error).message }, "server heartbeat not written");
    }
  }

  /** Where this server answers, once it listens (for the operator's view of the cluster). */
  async announce(url: string): Promise<void> {
    this.url = url;
    await this.options.db().serverInstance.updateMany({ where: { id: this.id }, data: { url } });
  }

  /** Ids of servers whose heartbeat is fresh, this one included. */
  async aliveIds(): Promise<Set<string>> {
    const since = new Date(Date.now() - (this.options.deadAfterMs ?? DEAD_AFTER_MS));
    const rows = await this.options.db().serverInstance.findMany({ where: { heartbeatAt: { gte: since } }, select: { id: true } });
    return new Set([this.id, ...rows.map((row) => row.id)]);
  }

  /** Deletes the rows of servers that stopped beating; returns their ids. */
  async reapDead(): Promise<string[]> {
    const since = new Date(Date.now() - (this.options.deadAfterMs ?? DEAD_AFTER_MS));
    const dead = await this.options.db().serverInstance.findMany({
      where: { heartbeatAt: { lt: since }, id: { not: this.id } },
      select: { id: true, url: true },
    });
    if (!dead.length) return [];
    await this.options.db().serverInstance.deleteMany({ where: { id: { in: dead.map((row) => row.id) } } });
    for (const row of dead) this.options.log.warn({ server: row.id, url: row.url }, "server stopped beating: taking its agents offline");
    return dead.map((row) => row.id);
  }

  /** A clean stop: others need not wait for the heartbeat to age out. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.beat;
    await this.options
      .db()
      .serverInstance.deleteMany({ where: { id: this.id } })
      .catch(() => undefined);
  }
}
