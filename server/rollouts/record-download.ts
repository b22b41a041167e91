// Progress and results from agents, written to the rollout target and the hypervisor cell.
import type { DownloadFinished, DownloadFinishedResult, DownloadProgress } from "../../protocol/events.ts";
import { CellState, TargetState } from "../../protocol/states.ts";
import type { AppContext } from "../context.ts";
import { DispatchedTargets } from "./dispatched-targets.ts";
import { finishRolloutIfDone } from "./finish-rollout.ts";
import { setCell, setCells } from "./set-cell.ts";
import { failOrRetry } from "./target-retry.ts";
import { untrustedPeers } from "./untrusted-sources.ts";

type RecordContext = Pick<AppContext, "db" | "cache" | "events" | "log" | "progress">;

export async function recordProgress(context: RecordContext, hypervisor: string, progress: DownloadProgress): Promise<void> {
  if (!(await wasDispatched(context, hypervisor, progress, false))) return ignore(context, hypervisor, progress, "progress");
  context.progress.add(progress.rolloutId, hypervisor, progress.bytes);
  context.events.publish("cellChanged", {
    hypervisor,
    cell: {
      imageId: progress.imageId,
      state: CellState.downloading,
      bytes: progress.bytes,
      totalBytes: progress.totalBytes,
      error: null,
      at: Date.now(),
    },
  });
}

/**
 * Resolves once the result is durably written (then the hub acks it); throws on database trouble
 * (the agent sends it again). Idempotent: a result id seen before, or an outcome for a target that
 * is no longer downloading, changes nothing (a success still marks the cell verified: it is).
 */
export async function recordFinished(
  context: RecordContext,
  hypervisor: string,
  result: DownloadFinished,
): Promise<DownloadFinishedResult> {
  const seen = recordedResults(context);
  if (seen.has(result.resultId)) return { resultId: result.resultId, recorded: false };
  if (!(await wasDispatched(context, hypervisor, result, true))) {
    ignore(context, hypervisor, result, "result");
    return { resultId: result.resultId, recorded: false };
  }
  let recorded = true;
  if (result.ok) await finishedBatch(context).add(hypervisor, result);
  else recorded = await recordFailure(context, hypervisor, result);
  seen.add(result.resultId);
  return { resultId: result.resultId, recorded };
}

async function recordFailure(context: RecordContext, hypervisor: string, result: DownloadFinished): Promise<boolean> {
  const image = await context.cache.imageById(result.imageId);
  const size = image?.size == null ? null : Number(image.size);
  const target = await context.db.rolloutTarget.findUnique({
    where: { rolloutId_hypervisorName: { rolloutId: result.rolloutId, hypervisorName: hypervisor } },
    include: { rollout: true },
  });
  const error = result.error ?? { code: "FAILED", message: "unknown error" };
  logFinished(context, hypervisor, result);
  // Only the attempt in flight: a failure re-sent after it was applied must not count twice.
  if (target?.state === TargetState.downloading) {
    await excludeLyingPeers(context, result, size);
    await failOrRetry(context, target, target.rollout, error, BigInt(result.bytes), size);
    context.events.publish("targetsChanged", {});
    return true;
  }
  // Settled meanwhile: still show the operator the error on the node's cell, unless the image is there.
  const cell = await context.db.hypervisorImage.findUnique({
    where: { hypervisorName_imageId: { hypervisorName: hypervisor, imageId: result.imageId } },
  });
  if (cell && cell.state !== CellState.cached)
    await setCell(context, hypervisor, result.imageId, { state: cell.state as CellState, error: `${error.code}: ${error.message}` }, size);
  return false;
}

/** Result ids already written by this process: a re-sent one is acked without a write. */
const MAX_RECORDED_RESULTS = 100_000;
const recorded = new WeakMap<RecordContext, Set<string>>();

function recordedResults(context: RecordContext): { has(id: string): boolean; add(id: string): void } {
  let ids = recorded.get(context);
  if (!ids) recorded.set(context, (ids = new Set()));
  const set = ids;
  return {
    has: (id) => set.has(id),
    add(id) {
      if (set.size >= MAX_RECORDED_RESULTS) set.delete(set.values().next().value!);
      set.add(id);
    },
  };
}

const dispatches = new WeakMap<RecordContext, DispatchedTargets>();

function wasDispatched(
  context: RecordContext,
  hypervisor: string,
  report: { rolloutId: string; imageId: string },
  isResult: boolean,
): Promise<boolean> {
  let known = dispatches.get(context);
  if (!known) dispatches.set(context, (known = new DispatchedTargets(context.db)));
  return known.wasDispatched(report, hypervisor, isResult);
}

const ignoredLog = { at: 0, suppressed: 0 };

/** Logged at most once a second, so an agent sending junk in a loop cannot flood the log. */
function ignore(context: RecordContext, hypervisor: string, report: { rolloutId: string; imageId: string }, what: string): void {
  const now = Date.now();
  if (now - ignoredLog.at < 1000) return void (ignoredLog.suppressed += 1);
  const suppressed = ignoredLog.suppressed;
  Object.assign(ignoredLog, { at: now, suppressed: 0 });
  context.log.warn(
    { hypervisor, rolloutId: JSON.stringify(report.rolloutId.slice(0, 64)), imageId: report.imageId, suppressed },
    `${what} for a target not dispatched to this hypervisor ignored`,
  );
}

type Success = { hypervisor: string; result: DownloadFinished };

/**
 * Successful results are written together: those that arrive while a write is running go into
 * the next one. One at a time, the 10,000 results at the end of a big rollout queue up ~50,000
 * queries, and the server's memory and event loop with them. Each caller still resolves only
 * once its own result is written.
 */
class FinishedBatch {
  private queue: (Success & { settle(error?: unknown): void })[] = [];
  private isWriting = false;

  constructor(private readonly context: RecordContext) {}

  add(hypervisor: string, result: DownloadFinished): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ hypervisor, result, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      if (!this.isWriting) {
        this.isWriting = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        await writeSuccesses(this.context, batch);
        for (const item of batch) item.settle();
      } catch {
        // One bad row must not fail the others: fall back to one at a time.
        for (const item of batch)
          await writeSuccesses(this.context, [item]).then(
            () => item.settle(),
            (error) => item.settle(error ?? new Error("write failed")),
          );
      }
    }
    this.isWriting = false;
  }
}

const MAX_BATCH = 1000;
const batches = new WeakMap<RecordContext, FinishedBatch>();

function finishedBatch(context: RecordContext): FinishedBatch {
  let batch = batches.get(context);
  if (!batch) batches.set(context, (batch = new FinishedBatch(context)));
  return batch;
}

/** Cell cached and verified, target done, then the rollout's end check, for successes in bulk. */
async function writeSuccesses(context: RecordContext, successes: Success[]): Promise<void> {
  const now = new Date();
  const groups = new Map<string, { imageId: string; rolloutId: string; bytes: number; hypervisors: string[] }>();
  for (const { hypervisor, result } of successes) {
    const key = `${result.imageId}\u0000${result.rolloutId}\u0000${result.bytes}`;
    const group = groups.get(key) ?? { imageId: result.imageId, rolloutId: result.rolloutId, bytes: result.bytes, hypervisors: [] };
    group.hypervisors.push(hypervisor);
    groups.set(key, group);
  }
  const finishedRollouts = new Set<string>();
  for (const group of groups.values()) {
    const image = await context.cache.imageById(group.imageId);
    const size = image?.size == null ? null : Number(image.size);
    const bytes = BigInt(group.bytes);
    await setCells(
      context,
      group.hypervisors,
      group.imageId,
      { state: CellState.cached, bytes, verified: true, error: null, fileMtime: now },
      size,
    );
    const { count } = await context.db.rolloutTarget.updateMany({
      where: {
        rolloutId: group.rolloutId,
        hypervisorName: { in: group.hypervisors },
        state: { in: [TargetState.pending, TargetState.downloading] },
      },
      data: { state: TargetState.done, bytes, error: null, finishedAt: now },
    });
    if (count > 0) finishedRollouts.add(group.rolloutId);
  }
  for (const { hypervisor, result } of successes) {
    const fromPeers = peerBytesOf(result);
    if (fromPeers === 0) continue;
    await context.db.rolloutTarget.updateMany({
      where: { rolloutId: result.rolloutId, hypervisorName: hypervisor },
      data: { peerBytes: BigInt(fromPeers) },
    });
  }
  for (const rolloutId of finishedRollouts) await finishRolloutIfDone(context, rolloutId);
  for (const { hypervisor, result } of successes) logFinished(context, hypervisor, result);
  context.events.publish("targetsChanged", {});
}

/** A failure is logged once, at warn with its full error, by failOrRetry (target-retry.ts): here only at debug. */
function logFinished(context: RecordContext, hypervisor: string, result: DownloadFinished): void {
  const fields = { hypervisor, rolloutId: result.rolloutId, ok: result.ok, seconds: result.seconds };
  if (result.ok) context.log.info(fields, "download finished");
  else context.log.debug({ ...fields, error: result.error }, "download finished");
}

function peerBytesOf(result: DownloadFinished): number {
  return (result.sources ?? []).filter((entry) => entry.source.startsWith("peer:")).reduce((sum, entry) => sum + entry.bytes, 0);
}

/**
 * Bytes that failed verification or broke a bound came (in part) from peers: the peer tier stops
 * choosing them for this rollout (the node's retry goes to another holder or its Squid, with a
 * fresh copy).
 */
async function excludeLyingPeers(context: RecordContext, result: DownloadFinished, imageSize: number | null): Promise<void> {
  const peers = untrustedPeers(result, imageSize);
  if (peers.length === 0) return;
  const rollout = await context.db.rollout.findUnique({ where: { id: result.rolloutId }, select: { excludedPeers: true } });
  const added = peers.filter((peer) => !rollout?.excludedPeers.includes(peer));
  if (!rollout || added.length === 0) return;
  await context.db.rollout.update({ where: { id: result.rolloutId }, data: { excludedPeers: { push: added } } });
  context.log.warn(
    { rolloutId: result.rolloutId, peers: added, error: result.error?.code },
    "peers served bytes that failed verification or broke a bound: excluded from this rollout",
  );
}
