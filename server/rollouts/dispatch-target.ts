// Sends one hypervisor its precache command. The target is claimed (downloading) in the
// database first, so a second scheduler tick or a restart never sends it twice.
import type { ImagePrecache } from "../../protocol/events.ts";
import { CellState, TargetState } from "../../protocol/states.ts";
import type { AppContext } from "../context.ts";
import type { Artifact, Image, Rollout } from "../db/generated/client.ts";
import { artifactUrl } from "../images/image-views.ts";
import { setCell } from "./set-cell.ts";
import { failOrRetry } from "./target-retry.ts";

export type DispatchContext = Pick<AppContext, "db" | "agents" | "ui" | "log" | "publicUrl">;
export type RolloutWithImage = Rollout & { image: Image & { artifact: Artifact | null } };

/** Errors that mean the bytes were bad: the retry must not be served the same cached copy. */
const DATA_ERRORS = /^(HASH_MISMATCH|DECOMPRESS_FAILED|SIZE_MISMATCH):/;

export function precacheCommand(context: Pick<AppContext, "publicUrl">, rollout: RolloutWithImage, lastError: string | null = null): ImagePrecache | null {
  const { image } = rollout;
  const artifact = image.artifact;
  if (!artifact?.sha256 || artifact.state !== "ready") return null;
  const hash = image.osHashAlgo && image.osHashValue ? { algo: image.osHashAlgo, value: image.osHashValue } : { algo: "md5", value: image.checksum ?? "" };
  return {
    rolloutId: rollout.id,
    imageId: image.id,
    artifactUrl: artifactUrl(context.publicUrl, image.id, artifact.sha256, artifact.codec),
    codec: "gzip",
    compressedSize: artifact.compressedSize === null ? null : Number(artifact.compressedSize),
    imageSize: image.size === null ? null : Number(image.size),
    hash: hash as ImagePrecache["hash"],
    jitterMs: rollout.strategy === "jitter" ? rollout.jitterMs : 0,
    bandwidthBytesPerSecond: rollout.bandwidthBytesPerSecond === null ? null : Number(rollout.bandwidthBytesPerSecond),
    refreshCache: lastError !== null && DATA_ERRORS.test(lastError),
  };
}

export async function dispatchTarget(context: DispatchContext, rollout: RolloutWithImage, hypervisor: string, proxy: string, lastError: string | null = null): Promise<void> {
  const command = precacheCommand(context, rollout, lastError);
  if (!command) return;
  const now = new Date();
  const claimed = await context.db.rolloutTarget.updateMany({
    where: { rolloutId: rollout.id, hypervisorName: hypervisor, state: TargetState.pending },
    data: { state: TargetState.downloading, proxy, attempts: { increment: 1 }, startedAt: now, lastProgressAt: now, bytes: 0n, nextAttemptAt: null },
  });
  if (claimed.count === 0) return;
  const size = command.imageSize;
  await setCell(context, hypervisor, rollout.imageId, { state: CellState.downloading, bytes: 0n, error: null }, size);
  const answer = await context.agents.send(hypervisor, "image:precache", command);
  if (answer.ok) return;
  const where = { rolloutId_hypervisorName: { rolloutId: rollout.id, hypervisorName: hypervisor } };
  if (answer.error.code === "OFFLINE") {
    // Not an attempt: it waits for the agent to come back.
    await context.db.rolloutTarget.update({ where, data: { state: TargetState.pending, attempts: { decrement: 1 } } });
    await setCell(context, hypervisor, rollout.imageId, { state: CellState.pending, bytes: 0n, error: null }, size);
    return;
  }
  context.log.warn({ hypervisor, rolloutId: rollout.id, error: answer.error }, "precache command refused");
  const target = await context.db.rolloutTarget.findUnique({ where });
  if (target) await failOrRetry(context, target, rollout, answer.error, 0n, size);
}
