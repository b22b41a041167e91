// A cleanup's background job: every node is sent image:delete at once and its outcome written
// and published the moment it answers (or the hub gives up: offline, 30 s timeout); the artifact
// leaves the origin and the Squids meanwhile. Stopped by the server, it marks what is left
// interrupted (interrupt-cleanups.ts).
import { ArtifactOutcome, CleanupState, NodeOutcome, type CleanupArtifact, type CleanupNodeRow } from "../../protocol/api/cleanup.ts";
import { CellState } from "../../protocol/states.ts";
import type { AppContext } from "../context.ts";
import { interruptCleanups } from "./interrupt-cleanups.ts";
import { isGone, nodeOutcomeOf } from "./node-outcome.ts";
import { removeArtifact } from "./remove-artifact.ts";

export type RunCleanupContext = Pick<AppContext, "db" | "agents" | "events" | "log" | "env" | "publicUrl">;
export type CleanupJob = { id: string; imageId: string; names: string[]; removeArtifact: boolean; purgeProxies: boolean };

export async function runCleanup(context: RunCleanupContext, job: CleanupJob, signal: AbortSignal): Promise<void> {
  const [nodes] = await Promise.all([
    Promise.all(job.names.map((name) => cleanNode(context, job, name, signal))),
    job.removeArtifact ? removeArtifactOf(context, job) : null,
  ]);
  if (signal.aborted) {
    await interruptCleanups(context, { ids: [job.id] });
    return;
  }
  await context.db.cleanup.updateMany({
    where: { id: job.id, state: CleanupState.running },
    data: { state: CleanupState.done, finishedAt: new Date() },
  });
  context.events.publish("cleanupChanged", {
    cleanup: { id: job.id, imageId: job.imageId, state: CleanupState.done, nodes: [], artifact: null },
  });
  const answered = nodes.filter((node) => node !== null);
  context.log.info(
    {
      cleanupId: job.id,
      imageId: job.imageId,
      nodes: job.names.length,
      gone: answered.filter((node) => isGone(node.outcome)).length,
      freedBytes: answered.reduce((sum, node) => sum + node.freedBytes, 0),
    },
    "cleanup done",
  );
}

/** One node: its answer, written and published; null if the server stopped first (or the write failed). */
async function cleanNode(context: RunCleanupContext, job: CleanupJob, name: string, signal: AbortSignal): Promise<CleanupNodeRow | null> {
  const sent = context.agents
    .send(name, "image:delete", { imageId: job.imageId })
    .catch((error: Error) => ({ ok: false as const, error: { code: "INTERNAL" as const, message: error.message.slice(0, 1000) } }));
  const answer = await untilAborted(sent, signal);
  if (answer === ABORTED) return null;
  const result = nodeOutcomeOf(answer);
  const finishedAt = new Date();
  try {
    if (isGone(result.outcome)) {
      await context.db.hypervisorImage.deleteMany({ where: { hypervisorName: name, imageId: job.imageId } });
      context.events.publish("cellChanged", {
        hypervisor: name,
        cell: { imageId: job.imageId, state: CellState.absent, bytes: 0, totalBytes: null, error: null, at: Date.now() },
      });
    }
    await context.db.cleanupNode.updateMany({
      where: { cleanupId: job.id, hypervisorName: name, outcome: NodeOutcome.pending },
      data: { outcome: result.outcome, freedBytes: BigInt(result.freedBytes), error: result.error, finishedAt },
    });
  } catch (error) {
    context.log.warn({ cleanupId: job.id, hypervisor: name, error: (error as Error).message }, "cleanup outcome not recorded");
    return null;
  }
  const row: CleanupNodeRow = { name, ...result, finishedAt: finishedAt.toISOString() };
  context.events.publish("cleanupChanged", {
    cleanup: { id: job.id, imageId: job.imageId, state: CleanupState.running, nodes: [row], artifact: null },
  });
  return row;
}

/** The artifact step, run to its end even when the server is stopping (it is bounded: 10 s per PURGE). */
async function removeArtifactOf(context: RunCleanupContext, job: CleanupJob): Promise<void> {
  let artifact: CleanupArtifact;
  try {
    const result = await removeArtifact(context, job.imageId, { purge: job.purgeProxies });
    artifact = { outcome: result.removed ? ArtifactOutcome.removed : ArtifactOutcome.absent, purges: result.purges, error: null };
  } catch (error) {
    context.log.warn({ cleanupId: job.id, imageId: job.imageId, error: (error as Error).message }, "artifact not removed");
    artifact = { outcome: ArtifactOutcome.failed, purges: [], error: (error as Error).message.slice(0, 1000) };
  }
  try {
    await context.db.cleanup.update({
      where: { id: job.id },
      data: { artifactOutcome: artifact.outcome, artifactPurges: artifact.purges, artifactError: artifact.error },
    });
  } catch (error) {
    context.log.warn({ cleanupId: job.id, error: (error as Error).message }, "cleanup's artifact outcome not recorded");
    return;
  }
  context.events.publish("cleanupChanged", {
    cleanup: { id: job.id, imageId: job.imageId, state: CleanupState.running, nodes: [], artifact },
  });
}

const ABORTED = Symbol("aborted");

/** The answer, or ABORTED as soon as the server stops (a silent node must not hold up a shutdown for 30 s). */
function untilAborted<T>(answer: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener("abort", onAbort, { once: true });
    void answer.then((value) => {
      signal.removeEventListener("abort", onAbort);
      resolve(value);
    });
  });
}
