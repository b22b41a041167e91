// Exactly one leader among the servers sharing a Postgres database: whoever holds a session-level
// advisory lock on a connection of its own. The lock goes with the session, so a leader that
// dies (process killed, host gone, connection cut) frees it at once and another server takes it
// at its next try. A leader checks its session at every try and steps down the moment the
// session fails, before anyone else can have the lock for long. With PGlite (one process) the
// only server is always the leader.
import pg from "pg";
import type { Logger } from "pino";

/** Advisory lock key for leadership ("precache leader": distinct from the migrations' key). */
export const LEADER_LOCK = 0x70726c64;

export type LeadershipOptions = {
  /** Postgres URL, or null for PGlite (always the leader). */
  databaseUrl: string | null;
  /** How often a follower tries to take the lock and a leader checks it still holds it. */
  intervalMs?: number;
  log: Logger;
  onGain(): void | Promise<void>;
  onLose(): void | Promise<void>;
};

export class Leadership {
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private turn: Promise<void> = Promise.resolve();
  private isStopped = false;
  isLeader = false;
  /** When this server last became the leader (for /api/health). */
  since: Date | null = null;

  constructor(private readonly options: LeadershipOptions) {}

  async start(): Promise<void> {
    if (!this.options.databaseUrl) {
      await this.become(true);
      return;
    }
    await this.tryNow();
    this.timer = setInterval(() => void this.tryNow(), this.options.intervalMs ?? 2000);
    this.timer.unref();
  }

  /** One try (or check) at a time, in order. */
  tryNow(): Promise<void> {
    this.turn = this.turn.then(() => this.step()).catch(() => undefined);
    return this.turn;
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.turn;
    await this.become(false);
    // Closing the session releases the lock for the next leader at once.
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }

  private async step(): Promise<void> {
    if (this.isStopped) return;
    try {
      const client = await this.session();
      if (this.isLeader) {
        // Still our session, still our lock?
        const { rows } = await client.query<{ held: boolean }>(
          "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND pid = pg_backend_pid() AND granted) AS held",
          [LEADER_LOCK],
        );
        if (!rows[0]?.held) await this.become(false);
        return;
      }
      const { rows } = await client.query<{ taken: boolean }>("SELECT pg_try_advisory_lock($1) AS taken", [LEADER_LOCK]);
      if (rows[0]?.taken) await this.become(true);
    } catch (error) {
      // The session is gone (database down, connection cut): so is the lock.
      this.options.log.warn({ error: (error as Error).message }, "leadership: database session lost");
      await this.client?.end().catch(() => undefined);
      this.client = null;
      await this.become(false);
    }
  }

  private async session(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({
      connectionString: this.options.databaseUrl!,
      connectionTimeoutMillis: 5000,
      // A session that hangs (partition) counts as lost, like one that fails.
      query_timeout: 5000,
      keepAlive: true,
    });
    // A dropped connection must not crash the process: the next step notices and steps down.
    client.on("error", () => undefined);
    await client.connect();
    this.client = client;
    return client;
  }

  private async become(isLeader: boolean): Promise<void> {
    if (this.isLeader === isLeader) return;
    this.isLeader = isLeader;
    this.since = isLeader ? new Date() : null;
    this.options.log.info({ leader: isLeader }, isLeader ? "this server is now the leader" : "this server is no longer the leader");
    await (isLeader ? this.options.onGain() : this.options.onLose());
  }
}
