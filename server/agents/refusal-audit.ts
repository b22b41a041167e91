// Refused agent connections go to the audit trail, but a reconnect loop must not flood it: one
// row per (name, address, reason) per window, counting what was suppressed, and a global cap.
import type { AppContext } from "../context.ts";
import { recordAudit } from "../audit/record-audit.ts";

export const refusalAuditPolicy = { windowMs: 10 * 60_000, maxRowsPerMinute: 60, maxKeys: 10_000 };

type Seen = { at: number; suppressed: number };

export class RefusalAudit {
  private readonly seen = new Map<string, Seen>();
  private minute = { startedAt: 0, rows: 0 };
  /** Rows not written because of the global cap (reported with the next row that is written). */
  private overCap = 0;

  constructor(
    private readonly context: Pick<AppContext, "db" | "log">,
    private readonly now: () => number = Date.now,
  ) {}

  /** `name` only when it passed validation: raw names may hold NUL, which no text column takes. */
  record(name: string | null, address: string, code: string, message: string): Promise<void> {
    const now = this.now();
    const key = `${name ?? ""}\u0000${address}\u0000${code}`;
    const previous = this.seen.get(key);
    if (previous && now - previous.at < refusalAuditPolicy.windowMs) {
      previous.suppressed += 1;
      return Promise.resolve();
    }
    if (now - this.minute.startedAt >= 60_000) this.minute = { startedAt: now, rows: 0 };
    if (this.minute.rows >= refusalAuditPolicy.maxRowsPerMinute) {
      this.overCap += 1;
      return Promise.resolve();
    }
    this.minute.rows += 1;
    this.seen.delete(key);
    this.seen.set(key, { at: now, suppressed: 0 });
    this.prune();
    const detail = { code, message, suppressedSinceLast: previous?.suppressed ?? 0, droppedByRateLimit: this.overCap };
    this.overCap = 0;
    return recordAudit(this.context, {
      actor: `agent:${name ?? "?"}`,
      address,
      action: "agent.refused",
      target: name,
      outcome: "denied",
      detail,
    });
  }

  private prune(): void {
    if (this.seen.size <= refusalAuditPolicy.maxKeys) return;
    // Insertion order is age order (a key is re-inserted when written): the oldest go first.
    for (const key of this.seen.keys()) {
      if (this.seen.size <= refusalAuditPolicy.maxKeys / 2) break;
      this.seen.delete(key);
    }
  }
}
