// A cheap periodic `SELECT 1` so /api/health notices an outage (and the recovery) even when no
// request happens to touch the database.
import type { Db } from "../db/open-database.ts";
import type { DependencyHealth } from "./dependency-health.ts";
import { toDatabaseUnavailable } from "./database-errors.ts";

export type DatabaseWatch = { check(): Promise<void>; stop(): void };

export function watchDatabase(db: Db, health: DependencyHealth, options: { intervalMs?: number; timeoutMs?: number } = {}): DatabaseWatch {
  const intervalMs = options.intervalMs ?? 3000;
  const timeoutMs = options.timeoutMs ?? 2000;
  let running: Promise<void> | null = null;
  const check = () =>
    (running ??= ping(db, timeoutMs)
      .then(
        () => health.markOk("database"),
        (error: unknown) => health.markFailed("database", toDatabaseUnavailable(error) ?? error),
      )
      .finally(() => (running = null)));
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}

// A ping that hangs (a half-open socket, a full pool) counts as a failure after timeoutMs.
async function ping(db: Db, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`the database did not answer SELECT 1 within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([db.$queryRaw`SELECT 1`, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
