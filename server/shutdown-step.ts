// One step of a shutdown, waited for at most `ms`: a step that takes longer is logged by name and
// left behind, so stopping the server never hangs (a restart must not wait on a stuck query).
import type { Logger } from "pino";

export async function shutdownStep(log: Logger, name: string, step: () => Promise<unknown>, ms = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), ms);
    timer.unref();
  });
  try {
    const outcome = await Promise.race([step().then(() => "done" as const), late]);
    if (outcome === "late") log.warn({ step: name, waitedMs: ms }, `shutdown: ${name} did not finish in time; going on without it`);
  } catch (error) {
    log.warn({ step: name, error: (error as Error).message }, `shutdown: ${name} failed`);
  } finally {
    clearTimeout(timer);
  }
}
