// What the server depends on (database, image source, Keystone) and whether each worked the last
// time it was used. Pure state and a clock: the code paths that use a dependency report to it.
export const DependencyState = { ok: "ok", degraded: "degraded" } as const;
export type DependencyState = (typeof DependencyState)[keyof typeof DependencyState];

export type DependencyName = "database" | "imageSource" | "keystone";

export type DependencyStatus = {
  state: DependencyState;
  /** The last failure's message, kept after recovery so an operator sees what happened. */
  lastError: string | null;
  /** When the current state began (ISO time). */
  since: string;
  lastOkAt: string | null;
  lastFailedAt: string | null;
};

export type HealthReport = {
  ok: boolean;
  ready: boolean;
  /** Whether this server runs the rollout scheduler (one leader among servers sharing a database). */
  leader: boolean;
  /** This server's id among those sharing the database (which one answered, behind a load balancer). */
  server: string;
  dependencies: Partial<Record<DependencyName, DependencyStatus>>;
};

const MAX_ERROR_LENGTH = 500;

export class DependencyHealth {
  private readonly states = new Map<DependencyName, DependencyStatus>();
  private readonly now: () => number;
  /** Set by the leadership (server/cluster/leadership.ts). */
  isLeader = false;
  /** Set at boot (server/cluster/server-instances.ts). */
  serverId = "";

  /** Every dependency starts ok: it has just been opened or has not been tried yet. */
  constructor(names: DependencyName[], options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
    const since = new Date(this.now()).toISOString();
    for (const name of names) this.states.set(name, { state: "ok", lastError: null, since, lastOkAt: null, lastFailedAt: null });
  }

  has(name: DependencyName): boolean {
    return this.states.has(name);
  }

  markOk(name: DependencyName): void {
    const status = this.states.get(name);
    if (!status) return;
    const at = new Date(this.now()).toISOString();
    if (status.state !== "ok") status.since = at;
    status.state = "ok";
    status.lastOkAt = at;
  }

  markFailed(name: DependencyName, error: unknown): void {
    const status = this.states.get(name);
    if (!status) return;
    const at = new Date(this.now()).toISOString();
    if (status.state !== "degraded") status.since = at;
    status.state = "degraded";
    status.lastError = publicMessage(error);
    status.lastFailedAt = at;
  }

  get(name: DependencyName): DependencyStatus | null {
    const status = this.states.get(name);
    return status ? { ...status } : null;
  }

  isOk(name: DependencyName): boolean {
    return this.states.get(name)?.state !== "degraded";
  }

  /** Not ok only when the database is down: without it no request can be answered. */
  report(): HealthReport {
    const dependencies: HealthReport["dependencies"] = {};
    for (const [name, status] of this.states) dependencies[name] = { ...status };
    return { ok: this.isOk("database"), ready: true, leader: this.isLeader, server: this.serverId, dependencies };
  }
}

/** The error's message, bounded, with any user:password@ in URLs masked: the health body is public. */
export function publicMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\/\/([^:@/\s]+):[^@/\s]*@/g, "//$1:***@").slice(0, MAX_ERROR_LENGTH);
}
