// POST /api/cleanup: checks the request, writes the cleanup and one row per node, starts the
// background job (run-cleanup.ts) and answers at once with what was asked. Per-node outcomes
// follow on the live channel and in the history (GET /api/cleanups/{id}).
import crypto from "node:crypto";
import { ArtifactOutcome, CleanupState, type CleanupRequest, type StartedCleanup } from "../../protocol/api/cleanup.ts";
import type { AppContext } from "../context.ts";
import { chunksOf } from "../db/in-chunks.ts";
import { AppError } from "../errors.ts";
import { type RunCleanupContext, runCleanup } from "./run-cleanup.ts";

export type StartCleanupContext = RunCleanupContext & Pick<AppContext, "instanceId" | "cleanups">;
/** The request, and who made it (the request's actor name), kept in the history. */
export type StartCleanupOptions = CleanupRequest & { createdBy?: string };

export async function startCleanup(context: StartCleanupContext, options: StartCleanupOptions): Promise<StartedCleanup> {
  const image = await context.db.image.findUnique({ where: { id: options.imageId }, select: { id: true, status: true } });
  if (!image) throw new AppError("IMAGE_NOT_FOUND", `no image ${options.imageId}`);
  // Absent: every node that holds it (or is fetching it). Named nodes are asked even if unknown:
  // the outcome says "offline", as for a node that is gone.
  const names = options.hypervisors
    ? [...new Set(options.hypervisors)]
    : (
        await context.db.hypervisorImage.findMany({
          where: { imageId: image.id },
          select: { hypervisorName: true },
          orderBy: { hypervisorName: "asc" },
        })
      ).map((row) => row.hypervisorName);
  // A stale image (deleted or deactivated in the source) loses its artifact unless told otherwise.
  const removeArtifact = options.removeArtifact ?? image.status !== "active";
  const purgeProxies = options.purgeProxies ?? true;
  const id = crypto.randomUUID();
  // One transaction: the cleanup and its nodes in multi-row INSERTs of a few thousand each.
  const [cleanup] = await context.db.$transaction([
    context.db.cleanup.create({
      data: {
        id,
        imageId: image.id,
        state: CleanupState.running,
        removeArtifact,
        purgeProxies,
        artifactOutcome: removeArtifact ? ArtifactOutcome.pending : ArtifactOutcome.kept,
        createdBy: options.createdBy ?? null,
        runBy: context.instanceId,
      },
    }),
    ...chunksOf(names).map((chunk) =>
      context.db.cleanupNode.createMany({ data: chunk.map((hypervisorName) => ({ cleanupId: id, hypervisorName })) }),
    ),
  ]);
  context.events.publish("cleanupChanged", { cleanup: { id, imageId: image.id, state: CleanupState.running, nodes: [], artifact: null } });
  context.log.info({ cleanupId: id, imageId: image.id, nodes: names.length, removeArtifact }, "cleanup started");
  context.cleanups.start(id, (signal) => runCleanup(context, { id, imageId: image.id, names, removeArtifact, purgeProxies }, signal));
  return {
    id,
    imageId: image.id,
    state: CleanupState.running,
    hypervisors: names,
    removeArtifact,
    purgeProxies,
    createdAt: cleanup.createdAt.toISOString(),
  };
}
