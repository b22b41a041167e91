// The cleanups this process is running, each with its abort signal. At shutdown stop() aborts
// them and waits: each records the nodes that had not answered as interrupted before it ends.
import type { Logger } from "pino";

export class CleanupJobs {
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private isStopped = false;

  constructor(private readonly log: Logger) {}

  /** Runs `job` in the background; it must record its own failures (a throw is only logged). */
  start(id: string, job: (signal: AbortSignal) => Promise<void>): void {
    const controller = new AbortController();
    if (this.isStopped) controller.abort();
    const done = job(controller.signal)
      .catch((error: Error) => this.log.warn({ cleanupId: id, error: error.message }, "cleanup job failed"))
      .finally(() => this.running.delete(id));
    this.running.set(id, { controller, done });
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  /** Resolves once every job running now has ended (tests; shutdown after aborting them). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.running.values()].map((job) => job.done));
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    for (const job of this.running.values()) job.controller.abort();
    await this.settled();
  }
}
