// A few seconds of memory in front of the session and token tables, so each request is not a
// query. Revocation in this process deletes the entry at once; other processes sharing the
// database see it when their entry ages out (at most `ttlMs`).
import { createHash } from "node:crypto";

export class CredentialCache<T> {
  private readonly entries = new Map<string, { value: T; fetchedAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.fetchedAt >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: T): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear(); // rare: a cold cache is only slower
    this.entries.set(key, { value, fetchedAt: this.now() });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  deleteWhere(matches: (value: T) => boolean): void {
    for (const [key, entry] of this.entries) if (matches(entry.value)) this.entries.delete(key);
  }
}

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}
