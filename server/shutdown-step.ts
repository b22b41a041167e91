// One step of a shutdown, waited for at most `ms`: a step that takes longer is logged by name and
// left behind, so stopping the server never hangs (a restart must not wait on a stuck query).
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";

export async function shutdownStep(log: Logger, name: string, step: () => Promise<unknown>, ms = 10_000): Promise<void> {
  // Cancelled once the step settles, so no timer outlives it.
  const stepSettled = new AbortController();
  const late = sleep(ms, "late" as const, { signal: stepSettled.signal, ref: false }).catch(() => "cancelled" as const);
  try {
    const outcome = await Promise.race([step().then(() => "done" as const), late]);
    if (outcome === "late") log.warn({ step: name, waitedMs: ms }, `shutdown: ${name} did not finish in time; going on without it`);
  } catch (error) {
    log.warn({ step: name, error: (error as Error).message }, `shutdown: ${name} failed`);
  } finally {
    stepSettled.abort();
  }
}
