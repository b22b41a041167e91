// Download results the server has not acknowledged yet. Each is re-sent (same resultId) until the
// server acks it, which it does only once the result is written: across reconnects, server
// restarts and database outages. Kept in the agent's state dir too, so an agent restart keeps them.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { downloadFinished, type Ack, type DownloadFinished, type DownloadFinishedResult } from "../protocol/events.ts";
import { fsyncPath } from "../shared/files.ts";

export type OutboxTiming = { ackTimeoutMs: number; firstRetryMs: number; maxRetryMs: number };
/** Capped at 10 s so a result lands within seconds of a database coming back. */
export const DEFAULT_OUTBOX_TIMING: OutboxTiming = { ackTimeoutMs: 30_000, firstRetryMs: 1000, maxRetryMs: 10_000 };

/** Sends one result and resolves with the server's ack; rejects on timeout or disconnect. */
export type SendResult = (result: DownloadFinished, timeoutMs: number) => Promise<Ack<DownloadFinishedResult>>;

/** `round`: bumped at each accepted hello, so an answer to a send from an older connection only counts if it is an ack. */
type Entry = { result: DownloadFinished; failures: number; nextAt: number; isSending: boolean; round: number };

export function outboxFile(stateDir: string, name: string): string {
  return path.join(stateDir, `results-${name}.json`);
}

export class ResultOutbox {
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | null = null;
  private saving: Promise<void> = Promise.resolve();
  private isReady = false;
  private round = 0;

  constructor(
    private readonly file: string,
    private readonly send: SendResult,
    private readonly log: Logger,
    private readonly timing: OutboxTiming = DEFAULT_OUTBOX_TIMING,
  ) {}

  /** Results a previous run left unacknowledged (an unreadable file is logged and set aside). */
  async load(): Promise<void> {
    let stored: unknown[];
    try {
      stored = JSON.parse(await fs.promises.readFile(this.file, "utf8")) as unknown[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        this.log.error({ file: this.file, error: (error as Error).message }, "unreadable result outbox ignored");
      return;
    }
    for (const item of Array.isArray(stored) ? stored : []) {
      const parsed = downloadFinished.safeParse(item);
      if (parsed.success)
        this.entries.set(parsed.data.resultId, { result: parsed.data, failures: 0, nextAt: 0, isSending: false, round: 0 });
    }
    if (this.entries.size)
      this.log.info({ results: this.entries.size }, "results not yet acknowledged by the server: will send them again");
  }

  /** Keeps the result (durably) and sends it as soon as the server has accepted our hello. */
  async add(result: Omit<DownloadFinished, "resultId">): Promise<void> {
    const full = { ...result, resultId: crypto.randomUUID() };
    this.entries.set(full.resultId, { result: full, failures: 0, nextAt: 0, isSending: false, round: this.round });
    await this.save();
    this.flush();
  }

  /** What is still waiting, so the hello can say these are not lost (the server leaves them for us). */
  waiting(): DownloadFinished[] {
    return [...this.entries.values()].map((entry) => entry.result);
  }

  /** Hello accepted: send everything now. Never before, the server ignores events until then. */
  ready(): void {
    this.isReady = true;
    this.round += 1;
    // Sends from the previous connection may never be answered: send them again now.
    for (const entry of this.entries.values()) Object.assign(entry, { nextAt: 0, isSending: false });
    this.flush();
  }

  notReady(): void {
    this.isReady = false;
  }

  stop(): void {
    this.isReady = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Resolves when every result is acknowledged (for tests and a graceful stop). */
  async drained(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.entries.size > 0 && Date.now() < deadline) await sleep(50);
    return this.entries.size === 0;
  }

  private flush(): void {
    if (!this.isReady) return;
    const now = Date.now();
    let next = Infinity;
    for (const entry of this.entries.values()) {
      if (entry.isSending) continue;
      if (entry.nextAt <= now) void this.sendOne(entry);
      else next = Math.min(next, entry.nextAt);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = next === Infinity ? null : setTimeout(() => this.flush(), next - now);
    this.timer?.unref();
  }

  private async sendOne(entry: Entry): Promise<void> {
    entry.isSending = true;
    const round = (entry.round = this.round);
    let answer: Ack<DownloadFinishedResult> | null = null;
    try {
      answer = await this.send(entry.result, this.timing.ackTimeoutMs);
    } catch {
      // No ack (timeout, disconnect): the server may or may not have it; sending again is safe.
    }
    if (answer?.ok) {
      if (this.entries.delete(entry.result.resultId)) await this.save();
      return;
    }
    if (round !== this.round || !this.entries.has(entry.result.resultId)) return;
    entry.isSending = false;
    entry.failures += 1;
    const delay =
      Math.min(this.timing.maxRetryMs, this.timing.firstRetryMs * 2 ** Math.min(entry.failures - 1, 16)) * (0.75 + Math.random() * 0.5);
    entry.nextAt = Date.now() + delay;
    const reason = answer && !answer.ok ? `${answer.error.code}: ${answer.error.message}` : "no answer";
    this.log.warn(
      {
        resultId: entry.result.resultId,
        rolloutId: entry.result.rolloutId,
        imageId: entry.result.imageId,
        retryInMs: Math.round(delay),
        reason,
      },
      "download result not acknowledged; will send it again",
    );
    this.flush();
  }

  /** temp file → fsync → rename → fsync the dir, one write at a time; no file when nothing waits. */
  private save(): Promise<void> {
    const write = async () => {
      const results = this.waiting();
      if (results.length === 0) return void (await fs.promises.rm(this.file, { force: true }));
      const temp = `${this.file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
      const handle = await fs.promises.open(
        temp,
        fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
        0o600,
      );
      try {
        await handle.writeFile(JSON.stringify(results));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.promises.rename(temp, this.file);
      await fsyncPath(path.dirname(this.file));
    };
    this.saving = this.saving
      .then(write)
      .catch((error: Error) =>
        this.log.error({ file: this.file, error: error.message }, "cannot store unacknowledged results; they are kept in memory only"),
      );
    return this.saving;
  }
}
