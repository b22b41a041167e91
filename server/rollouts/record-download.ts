// Progress and results from agents, written to the rollout target and the hypervisor cell.
import type { DownloadFinished, DownloadProgress } from "../../protocol/events.ts";
import { CellState, TargetState } from "../../protocol/states.ts";
import type { AppContext } from "../context.ts";
import { finishRolloutIfDone } from "./finish-rollout.ts";
import { setCell } from "./set-cell.ts";

type RecordContext = Pick<AppContext, "db" | "ui" | "log">;

export async function recordProgress(context: RecordContext, hypervisor: string, progress: DownloadProgress): Promise<void> {
  const where = { rolloutId_hypervisorName: { rolloutId: progress.rolloutId, hypervisorName: hypervisor } };
  const { count } = await context.db.rolloutTarget.updateMany({
    where: { ...where.rolloutId_hypervisorName, state: { in: [TargetState.pending, TargetState.downloading] } },
    data: { state: TargetState.downloading, bytes: BigInt(progress.bytes) },
  });
  if (count === 0) return;
  await setCell(context, hypervisor, progress.imageId, { state: CellState.downloading, bytes: BigInt(progress.bytes), error: null }, progress.totalBytes);
}

export async function recordFinished(context: RecordContext, hypervisor: string, result: DownloadFinished): Promise<void> {
  const image = await context.db.image.findUnique({ where: { id: result.imageId }, select: { size: true } });
  const size = image?.size === null || image === null ? null : Number(image.size);
  const error = result.ok ? null : `${result.error?.code ?? "FAILED"}: ${result.error?.message ?? "unknown error"}`;
  await setCell(
    context,
    hypervisor,
    result.imageId,
    result.ok ? { state: CellState.cached, bytes: BigInt(result.bytes), verified: true, error: null } : { state: CellState.failed, bytes: BigInt(result.bytes), verified: false, error },
    size,
  );
  const { count } = await context.db.rolloutTarget.updateMany({
    where: { rolloutId: result.rolloutId, hypervisorName: hypervisor, state: { in: [TargetState.pending, TargetState.downloading] } },
    data: { state: result.ok ? TargetState.done : TargetState.failed, bytes: BigInt(result.bytes), error, finishedAt: new Date() },
  });
  if (count > 0) {
    context.log.info({ hypervisor, rolloutId: result.rolloutId, ok: result.ok, seconds: result.seconds, error }, "download finished");
    await finishRolloutIfDone(context, result.rolloutId);
  }
}
