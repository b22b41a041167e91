// Progress and results from agents, written to the rollout target and the hypervisor cell.
import type { DownloadFinished, DownloadProgress } from "../../protocol/events.ts";
import { CellState, TargetState } from "../../protocol/states.ts";
import type { AppContext } from "../context.ts";
import { readCache } from "../db/read-cache.ts";
import { finishRolloutIfDone } from "./finish-rollout.ts";
import { setCell } from "./set-cell.ts";
import { failOrRetry } from "./target-retry.ts";

type RecordContext = Pick<AppContext, "db" | "ui" | "log" | "scheduler" | "progress">;

export async function recordProgress(context: RecordContext, hypervisor: string, progress: DownloadProgress): Promise<void> {
  context.progress.add(progress.rolloutId, hypervisor, progress.bytes);
  context.ui.cellChanged(hypervisor, { imageId: progress.imageId, state: CellState.downloading, bytes: progress.bytes, totalBytes: progress.totalBytes, error: null });
}

export async function recordFinished(context: RecordContext, hypervisor: string, result: DownloadFinished): Promise<void> {
  const image = await readCache(context.db).imageById(result.imageId);
  const size = image?.size == null ? null : Number(image.size);
  const target = await context.db.rolloutTarget.findUnique({
    where: { rolloutId_hypervisorName: { rolloutId: result.rolloutId, hypervisorName: hypervisor } },
    include: { rollout: true },
  });
  if (result.ok) {
    await setCell(context, hypervisor, result.imageId, { state: CellState.cached, bytes: BigInt(result.bytes), verified: true, error: null, fileMtime: new Date() }, size);
    const { count } = await context.db.rolloutTarget.updateMany({
      where: { rolloutId: result.rolloutId, hypervisorName: hypervisor, state: { in: [TargetState.pending, TargetState.downloading] } },
      data: { state: TargetState.done, bytes: BigInt(result.bytes), error: null, finishedAt: new Date() },
    });
    if (count > 0) await finishRolloutIfDone(context, result.rolloutId);
  } else if (target && (target.state === TargetState.downloading || target.state === TargetState.pending)) {
    const error = result.error ?? { code: "FAILED", message: "unknown error" };
    await failOrRetry(context, target, target.rollout, error, BigInt(result.bytes), size);
  } else if (!target) {
    await setCell(context, hypervisor, result.imageId, { state: CellState.failed, error: `${result.error?.code}: ${result.error?.message}` }, size);
  }
  context.log.info({ hypervisor, rolloutId: result.rolloutId, ok: result.ok, seconds: result.seconds, error: result.error }, "download finished");
  context.scheduler.poke();
}
