// A cleanup whose server stopped (shutdown, crash, restart) before every node answered is marked
// interrupted, never resumed by itself: deleting is destructive, and the operator's intent may
// have changed by the time the server is back (the image published and rolled out again); right
// after a restart every agent is still offline, so a resumed cleanup would only record "offline";
// and running it again is cheap and safe (a node without the copy answers "absent"). What did
// arrive before the stop is kept.
import { ArtifactOutcome, CleanupState, NodeOutcome } from "../../protocol/api/cleanup.ts";
import type { AppContext } from "../context.ts";

type InterruptContext = Pick<AppContext, "db" | "events" | "log">;

export const STOPPED_BEFORE_ANSWER = "the server stopped before this node answered; run the cleanup again for the nodes left";

/**
 * Marks running cleanups interrupted: `ids` (this server's, at its shutdown), or those run by a
 * server not in `alive` (null: a lone server's start, every running one).
 */
export async function interruptCleanups(
  context: InterruptContext,
  which: { ids: string[] } | { alive: Set<string> | null },
  reason = STOPPED_BEFORE_ANSWER,
): Promise<number> {
  const where = "ids" in which ? { id: { in: which.ids } } : which.alive ? { runBy: { notIn: [...which.alive] } } : {};
  const stuck = await context.db.cleanup.findMany({
    where: { state: CleanupState.running, ...where },
    select: { id: true, imageId: true },
  });
  for (const cleanup of stuck) {
    const now = new Date();
    await context.db.$transaction([
      context.db.cleanupNode.updateMany({
        where: { cleanupId: cleanup.id, outcome: NodeOutcome.pending },
        data: { outcome: NodeOutcome.interrupted, error: reason, finishedAt: now },
      }),
      context.db.cleanup.updateMany({
        where: { id: cleanup.id, artifactOutcome: ArtifactOutcome.pending },
        data: { artifactOutcome: ArtifactOutcome.interrupted, artifactError: "the server stopped before the artifact was removed" },
      }),
      context.db.cleanup.updateMany({
        where: { id: cleanup.id, state: CleanupState.running },
        data: { state: CleanupState.interrupted, finishedAt: now },
      }),
    ]);
    context.events.publish("cleanupChanged", {
      cleanup: { id: cleanup.id, imageId: cleanup.imageId, state: CleanupState.interrupted, nodes: [], artifact: null },
    });
  }
  if (stuck.length) context.log.warn({ cleanups: stuck.map((cleanup) => cleanup.id) }, "cleanups interrupted: their server stopped");
  return stuck.length;
}
