// Sends one hypervisor its precache command and records the answer.
import type { ImagePrecache } from "../../protocol/events.ts";
import { CellState, TargetState } from "../../protocol/states.ts";
import type { AppContext } from "../context.ts";
import { artifactUrl } from "../images/image-views.ts";
import { setCell } from "./set-cell.ts";
import { finishRolloutIfDone } from "./finish-rollout.ts";

type DispatchContext = Pick<AppContext, "db" | "agents" | "ui" | "log" | "publicUrl">;

export async function dispatchTarget(context: DispatchContext, rolloutId: string, hypervisor: string): Promise<void> {
  const rollout = await context.db.rollout.findUnique({ where: { id: rolloutId }, include: { image: { include: { artifact: true } } } });
  if (!rollout || rollout.state !== "running") return;
  const { image } = rollout;
  const artifact = image.artifact;
  if (!artifact?.sha256 || artifact.state !== "ready") return;
  const hash = image.osHashAlgo && image.osHashValue ? { algo: image.osHashAlgo, value: image.osHashValue } : { algo: "md5", value: image.checksum ?? "" };
  const command: ImagePrecache = {
    rolloutId,
    imageId: image.id,
    artifactUrl: artifactUrl(context.publicUrl, image.id, artifact.sha256, artifact.codec),
    codec: "gzip",
    compressedSize: artifact.compressedSize === null ? null : Number(artifact.compressedSize),
    imageSize: image.size === null ? null : Number(image.size),
    hash: hash as ImagePrecache["hash"],
    jitterMs: rollout.jitterMs,
  };
  const where = { rolloutId_hypervisorName: { rolloutId, hypervisorName: hypervisor } };
  await context.db.rolloutTarget.update({ where, data: { attempts: { increment: 1 }, startedAt: new Date() } });
  const answer = await context.agents.send(hypervisor, "image:precache", command);
  const size = image.size === null ? null : Number(image.size);
  if (answer.ok) {
    await context.db.rolloutTarget.update({ where, data: { state: TargetState.downloading, error: null } });
    await setCell(context, hypervisor, image.id, { state: CellState.downloading, bytes: 0n, error: null }, size);
    return;
  }
  if (answer.error.code === "OFFLINE") return; // stays pending; dispatched again on reconnect
  context.log.warn({ hypervisor, rolloutId, error: answer.error }, "precache command refused");
  await context.db.rolloutTarget.update({ where, data: { state: TargetState.failed, error: `${answer.error.code}: ${answer.error.message}`, finishedAt: new Date() } });
  await setCell(context, hypervisor, image.id, { state: CellState.failed, error: answer.error.message }, size);
  await finishRolloutIfDone(context, rolloutId);
}
