// Sign-in throttling, per account and per source address. Failures inside a sliding window are
// counted; at the limit the key is locked for one window, and each lockout that follows another
// without a success in between lasts twice as long (capped). While locked nothing is checked at
// all, so guessing on costs the guesser time, not us CPU. Kept in this process's memory.
export type ThrottleLimits = { windowMs: number; maxPerAccount: number; maxPerAddress: number };

type Entry = { failures: number[]; lockedUntil: number; lockouts: number; lastFailure: number };

const MAX_LOCKOUT_DOUBLINGS = 4; // a window of 15 min grows to at most 4 h
const MAX_KEYS = 100_000;

export class SignInThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly limits: ThrottleLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until this account/address may try again; 0 when it may try now. */
  retryAfterMs(account: string, address: string): number {
    const now = this.now();
    const waits = [this.keyOf("account", account), this.keyOf("address", address)].map((key) =>
      Math.max(0, (this.entries.get(key)?.lockedUntil ?? 0) - now),
    );
    return Math.max(...waits);
  }

  recordFailure(account: string, address: string): void {
    this.fail(this.keyOf("account", account), this.limits.maxPerAccount);
    this.fail(this.keyOf("address", address), this.limits.maxPerAddress);
  }

  /** A success clears the account's record; the address keeps its count (it may be guessing others). */
  recordSuccess(account: string): void {
    this.entries.delete(this.keyOf("account", account));
  }

  get size(): number {
    return this.entries.size;
  }

  private fail(key: string, limit: number): void {
    const now = this.now();
    const entry = this.entries.get(key) ?? { failures: [], lockedUntil: 0, lockouts: 0, lastFailure: 0 };
    // Quiet for two windows after a lockout ended: the next lockout starts short again.
    if (entry.lockouts > 0 && now - Math.max(entry.lockedUntil, entry.lastFailure) > 2 * this.limits.windowMs) entry.lockouts = 0;
    entry.failures = entry.failures.filter((at) => now - at < this.limits.windowMs);
    entry.failures.push(now);
    entry.lastFailure = now;
    if (entry.failures.length >= limit) {
      entry.lockedUntil = now + this.limits.windowMs * 2 ** Math.min(entry.lockouts, MAX_LOCKOUT_DOUBLINGS);
      entry.lockouts += 1;
      entry.failures = [];
    }
    this.entries.set(key, entry);
    this.prune(now);
  }

  /**
   * Bounded memory: past MAX_KEYS, forget idle keys, then unlocked ones (oldest first), down to 90%.
   * Locked keys go last, so a flood of new names cannot wash out the lock on the flooding address.
   */
  private prune(now: number): void {
    if (this.entries.size <= MAX_KEYS) return;
    const target = MAX_KEYS * 0.9;
    const isIdle = (entry: Entry) => entry.lockedUntil <= now && now - entry.lastFailure > 2 * this.limits.windowMs;
    const passes = [isIdle, (entry: Entry) => entry.lockedUntil <= now, () => true];
    for (const shouldForget of passes) {
      for (const [key, entry] of this.entries) {
        if (this.entries.size <= target) return;
        if (shouldForget(entry)) this.entries.delete(key);
      }
    }
  }

  private keyOf(kind: "account" | "address", value: string): string {
    return `${kind}\u0000${kind === "account" ? value.toLowerCase() : value}`;
  }
}
