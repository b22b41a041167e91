// Sends a fresh snapshot of the cache dir. Unacknowledged (server busy, database down), a fresh
// one follows after a backoff: what a deletion or a found file changed is never left unsaid
// until the next periodic rescan.
import type { Logger } from "pino";
import type { Ack } from "../protocol/events.ts";
import { backoffDelay, INVENTORY_BACKOFF } from "./connection/backoff.ts";
import type { AgentSocket } from "./connection/connection-manager.ts";
import { AgentState, type ConnectionState } from "./connection/connection-state.ts";
import { freeBytes } from "../shared/files.ts";
import { scanCache } from "./inventory.ts";

const INVENTORY_ACK_MS = 30_000;

export class InventoryReporter {
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;

  constructor(
    private readonly cacheDir: string,
    private readonly firstRetryMs: number,
    private readonly connection: ConnectionState,
    private readonly socket: () => AgentSocket | null,
    private readonly log: Logger,
  ) {}

  async report(): Promise<void> {
    if (!this.connection.is(AgentState.ready) || !this.socket()) return;
    const [inventory, free] = await Promise.all([scanCache(this.cacheDir), freeBytes(this.cacheDir)]);
    const socket = this.socket();
    if (!socket || !this.connection.is(AgentState.ready)) return;
    socket
      .timeout(INVENTORY_ACK_MS)
      .emit("inventory:reported", { freeBytes: free, inventory }, (error: Error | null, result?: Ack<{ recorded: true }>) => {
        if (!error && result?.ok) return void (this.failures = 0);
        this.retry(error?.message ?? (result && !result.ok ? result.error.message : "no answer"));
      });
  }

  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private retry(reason: string): void {
    if (this.retryTimer || this.connection.is(AgentState.stopping, AgentState.stopped)) return;
    const delay = backoffDelay({ firstMs: this.firstRetryMs, ...INVENTORY_BACKOFF }, this.failures);
    this.failures += 1;
    this.log.warn({ reason, retryInMs: Math.round(delay) }, "inventory not recorded; sending a fresh one later");
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.report();
    }, delay);
    this.retryTimer.unref();
  }
}
