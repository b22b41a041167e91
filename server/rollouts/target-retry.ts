// A failed attempt becomes a retry (pending again, after a backoff) or a final failure.
import { isRetryableCode } from "../../protocol/errors.ts";
import type { ErrorPayload } from "../../protocol/events.ts";
import { CellState, TargetState } from "../../protocol/states.ts";
import type { AppContext } from "../context.ts";
import { finishRolloutIfDone } from "./finish-rollout.ts";
import { setCell } from "./set-cell.ts";

export const retryPolicy = { baseMs: 5_000, maxMs: 300_000 };

export function backoffMs(attempts: number, base = retryPolicy.baseMs): number {
  const exponential = Math.min(retryPolicy.maxMs, base * 2 ** Math.max(0, attempts - 1));
  return Math.round(exponential * (0.5 + Math.random()));
}

export async function failOrRetry(
  context: Pick<AppContext, "db" | "events" | "log">,
  target: { rolloutId: string; hypervisorName: string; attempts: number },
  rollout: { maxAttempts: number; imageId: string },
  error: ErrorPayload,
  bytes: bigint,
  totalBytes: number | null,
): Promise<"retry" | "failed"> {
  const text = `${error.code}: ${error.message}`;
  const where = {
    rolloutId: target.rolloutId,
    hypervisorName: target.hypervisorName,
    state: { in: [TargetState.pending, TargetState.downloading] },
  };
  // Worth another attempt: network, proxy or data trouble that another try (or proxy) may not hit.
  if (isRetryableCode(error.code) && target.attempts < rollout.maxAttempts) {
    const delay = backoffMs(target.attempts);
    const { count } = await context.db.rolloutTarget.updateMany({
      where,
      data: { state: TargetState.pending, error: text, bytes: 0n, nextAttemptAt: new Date(Date.now() + delay) },
    });
    if (count > 0) {
      context.log.warn(
        { hypervisor: target.hypervisorName, rolloutId: target.rolloutId, attempt: target.attempts, retryInMs: delay, error: text },
        "download failed; will retry",
      );
      await setCell(context, target.hypervisorName, rollout.imageId, { state: CellState.pending, bytes: 0n, error: text }, totalBytes);
    }
    return "retry";
  }
  const { count } = await context.db.rolloutTarget.updateMany({
    where,
    data: { state: TargetState.failed, error: text, bytes, finishedAt: new Date() },
  });
  if (count > 0) {
    context.log.warn({ hypervisor: target.hypervisorName, rolloutId: target.rolloutId, error: text }, "download failed");
    await setCell(
      context,
      target.hypervisorName,
      rollout.imageId,
      { state: CellState.failed, bytes, verified: false, error: text },
      totalBytes,
    );
    await finishRolloutIfDone(context, target.rolloutId);
  }
  return "failed";
}
