// POST /api/rollouts: one target per hypervisor; those that already hold a verified copy are
// done at once, the rest are sent the command now (online) or when they connect (offline).
import { CellState, RolloutState, TargetState } from "../../protocol/states.ts";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import { dispatchTarget } from "./dispatch-target.ts";
import { finishRolloutIfDone } from "./finish-rollout.ts";
import { setCell } from "./set-cell.ts";

export type CreateRolloutOptions = { imageId: string; hypervisors?: string[]; jitterSeconds?: number };
type RolloutContext = Pick<AppContext, "db" | "agents" | "ui" | "log" | "publicUrl" | "tasks">;

export async function createRollout(context: RolloutContext, options: CreateRolloutOptions): Promise<{ id: string; state: string }> {
  const image = await context.db.image.findUnique({ where: { id: options.imageId }, include: { artifact: true } });
  if (!image) throw new AppError("IMAGE_NOT_FOUND", `no image ${options.imageId}`);
  if (image.artifact?.state !== "ready") {
    throw new AppError("ARTIFACT_NOT_READY", `image ${image.name} is not published yet: POST /api/images/${image.id}/publish first`);
  }
  const known = await context.db.hypervisor.findMany({ select: { name: true }, orderBy: { name: "asc" } });
  const knownNames = new Set(known.map((row) => row.name));
  const names = options.hypervisors ?? [...knownNames];
  const unknown = names.filter((name) => !knownNames.has(name));
  if (unknown.length) throw new AppError("NOT_FOUND", `unknown hypervisors: ${unknown.slice(0, 10).join(", ")}${unknown.length > 10 ? " …" : ""}`);
  if (names.length === 0) throw new AppError("NO_TARGETS", "no hypervisors enrolled: start an agent first");
  const cached = await context.db.hypervisorImage.findMany({
    where: { imageId: image.id, hypervisorName: { in: names }, state: CellState.cached, verified: true },
    select: { hypervisorName: true },
  });
  const alreadyThere = new Set(cached.map((row) => row.hypervisorName));
  const rollout = await context.db.rollout.create({
    data: {
      imageId: image.id,
      state: RolloutState.running,
      jitterMs: Math.round((options.jitterSeconds ?? 0) * 1000),
      targets: {
        create: [...new Set(names)].map((hypervisorName) =>
          alreadyThere.has(hypervisorName)
            ? { hypervisorName, state: TargetState.done, bytes: image.size ?? 0n, finishedAt: new Date() }
            : { hypervisorName, state: TargetState.pending },
        ),
      },
    },
  });
  const size = image.size === null ? null : Number(image.size);
  const toSend = names.filter((name) => !alreadyThere.has(name));
  for (const name of toSend) await setCell(context, name, image.id, { state: CellState.pending, bytes: 0n, error: null }, size);
  context.log.info({ rolloutId: rollout.id, imageId: image.id, targets: names.length, alreadyCached: alreadyThere.size }, "rollout created");
  context.ui.rolloutChanged(rollout.id, rollout.state);
  const online = toSend.filter((name) => context.agents.isOnline(name));
  const sending = Promise.all(online.map((name) => dispatchTarget(context, rollout.id, name))).then(() => finishRolloutIfDone(context, rollout.id));
  context.tasks.add(sending);
  void sending.finally(() => context.tasks.delete(sending));
  return { id: rollout.id, state: rollout.state };
}
