// Reading, pausing, resuming, cancelling, and catching up rollouts.
import { CellState, RolloutState, TargetState } from "../../protocol/states.ts";
import type { AgentHello } from "../../protocol/events.ts";
import { baseFileName } from "../../protocol/nova-files.ts";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import { selectorIncludes } from "./create-rollout.ts";
import { INLINE_TARGETS_MAX, perProxyLoad, rolloutTotals } from "./rollout-reads.ts";
import { setCell } from "./set-cell.ts";
import { toRolloutView } from "./rollout-views.ts";
import type { RolloutDetail, RolloutModel, RolloutView } from "../../protocol/api/rollouts.ts";
import { modelRolloutSeconds } from "./rollout-model.ts";
import { loadBandwidths, plannerSeconds } from "./rollout-estimate.ts";
import { markOnDisk } from "./reconcile-targets.ts";
import { chunksOf } from "../db/in-chunks.ts";
import type { LostClaim } from "../realtime/agent-hub.ts";

/** GET /api/rollouts/:id: counts, bytes and load by GROUP BY; the targets themselves only for small rollouts. */
export async function getRollout(context: Pick<AppContext, "db">, id: string): Promise<RolloutDetail> {
  const rollout = await context.db.rollout.findUnique({ where: { id }, include: { image: { include: { artifact: true } } } });
  if (!rollout) throw new AppError("NOT_FOUND", `no rollout ${id}`);
  const [totals, perProxy] = await Promise.all([rolloutTotals(context, [id]).then((all) => all.get(id)!), perProxyLoad(context, id)]);
  const isInline = totals.targets <= INLINE_TARGETS_MAX;
  const targets = isInline ? await context.db.rolloutTarget.findMany({ where: { rolloutId: id } }) : [];
  const view = toRolloutView(rollout, totals, perProxy, targets);
  const imageBytes = Number(rollout.image.size ?? 0);
  return {
    ...view,
    imageName: rollout.image.name,
    createdBy: rollout.createdBy,
    targets: totals.targets,
    retrying: totals.retrying,
    hypervisorsInline: isInline,
    maxAttempts: rollout.maxAttempts,
    jitterSeconds: rollout.jitterMs / 1000,
    bandwidthMbps: rollout.bandwidthBytesPerSecond === null ? null : (Number(rollout.bandwidthBytesPerSecond) * 8) / 1e6,
    selector: rollout.selector as RolloutDetail["selector"],
    model: await modelFor(context, view, Number(rollout.image.artifact?.compressedSize ?? 0), imageBytes, rollout.jitterMs / 1000),
  };
}

/** The seed's model with the bandwidths the operator entered per group (tier 2) and node. */
async function modelFor(
  context: Pick<AppContext, "db">,
  view: RolloutView,
  artifactBytes: number,
  imageBytes: number,
  jitterSeconds: number,
): Promise<RolloutModel> {
  const bandwidths = await loadBandwidths(context);
  const total = Object.values(view.counts).reduce((a, b) => a + b, 0) - view.counts.cancelled;
  const remaining = view.counts.pending + view.counts.downloading;
  const { squidSeconds, peerSeconds } = plannerSeconds(bandwidths, { artifactBytes, nodes: total, strategy: view.strategy, jitterSeconds });
  return {
    imageBytes,
    artifactBytes,
    proxies: bandwidths.proxies.length,
    squidSeconds,
    peerSeconds,
    totalSeconds: view.source === "peers" ? peerSeconds : squidSeconds,
    etaSeconds: modelRolloutSeconds({
      artifactBytes,
      nodes: remaining,
      proxyBandwidthBps: bandwidths.proxies,
      nodeBandwidthBps: bandwidths.nodeBps,
    }),
  };
}

type CommandContext = Pick<AppContext, "db" | "cache" | "events" | "log" | "agents">;

export async function pauseRollout(context: CommandContext, id: string): Promise<RolloutDetail> {
  await setRunState(context, id, RolloutState.running, RolloutState.paused);
  return getRollout(context, id);
}

export async function resumeRollout(context: CommandContext, id: string): Promise<RolloutDetail> {
  await setRunState(context, id, RolloutState.paused, RolloutState.running);
  return getRollout(context, id);
}

/** Cancel: nothing new is sent, downloads in flight are aborted (their .part files removed). */
export async function cancelRollout(context: CommandContext, id: string): Promise<RolloutDetail> {
  const rollout = await context.db.rollout.findUnique({ where: { id } });
  if (!rollout) throw new AppError("NOT_FOUND", `no rollout ${id}`);
  if (rollout.state !== RolloutState.running && rollout.state !== RolloutState.paused) {
    throw new AppError("ROLLOUT_FINISHED", `rollout ${id} is already ${rollout.state}`);
  }
  const open = await context.db.rolloutTarget.findMany({
    where: { rolloutId: id, state: { in: [TargetState.pending, TargetState.downloading] } },
  });
  await context.db.$transaction([
    context.db.rolloutTarget.updateMany({
      where: { rolloutId: id, state: { in: [TargetState.pending, TargetState.downloading] } },
      data: { state: TargetState.cancelled, finishedAt: new Date() },
    }),
    context.db.rollout.update({ where: { id }, data: { state: RolloutState.cancelled, finishedAt: new Date() } }),
    ...chunksOf(open.map((t) => t.hypervisorName)).map((names) =>
      context.db.hypervisorImage.deleteMany({
        where: { imageId: rollout.imageId, hypervisorName: { in: names }, state: { in: [CellState.pending, CellState.downloading] } },
      }),
    ),
  ]);
  await Promise.all(
    open
      .filter((target) => target.state === TargetState.downloading)
      .map((target) => context.agents.send(target.hypervisorName, "image:abort", { imageId: rollout.imageId, rolloutId: id })),
  );
  for (const target of open)
    context.events.publish("cellChanged", {
      hypervisor: target.hypervisorName,
      cell: { imageId: rollout.imageId, state: CellState.absent, bytes: 0, totalBytes: null, error: null, at: Date.now() },
    });
  context.events.publish("rolloutChanged", { rolloutId: id, state: RolloutState.cancelled });
  context.log.info({ rolloutId: id, open: open.length }, "rollout cancelled");
  return getRollout(context, id);
}

/** Retry the failed targets of a rollout (the dashboard's retry button). */
export async function retryFailed(context: CommandContext, id: string): Promise<RolloutDetail> {
  const rollout = await context.db.rollout.findUnique({ where: { id } });
  if (!rollout) throw new AppError("NOT_FOUND", `no rollout ${id}`);
  if (rollout.state === RolloutState.cancelled) throw new AppError("ROLLOUT_FINISHED", `rollout ${id} was cancelled`);
  const { count } = await context.db.rolloutTarget.updateMany({
    where: { rolloutId: id, state: TargetState.failed },
    data: { state: TargetState.pending, attempts: 0, nextAttemptAt: null, finishedAt: null },
  });
  if (count > 0) {
    await context.db.rollout.update({ where: { id }, data: { state: RolloutState.running, finishedAt: null } });
    context.events.publish("rolloutChanged", { rolloutId: id, state: RolloutState.running });
  }
  return getRollout(context, id);
}

async function setRunState(context: CommandContext, id: string, from: RolloutState, to: RolloutState): Promise<void> {
  const { count } = await context.db.rollout.updateMany({
    where: { id, state: from },
    data: { state: to, pausedAt: to === RolloutState.paused ? new Date() : null },
  });
  if (count === 0) {
    const rollout = await context.db.rollout.findUnique({ where: { id } });
    if (!rollout) throw new AppError("NOT_FOUND", `no rollout ${id}`);
    throw new AppError("ROLLOUT_FINISHED", `rollout ${id} is ${rollout.state}, not ${from}`);
  }
  context.events.publish("rolloutChanged", { rolloutId: id, state: to });
  context.log.info({ rolloutId: id, state: to }, `rollout ${to}`);
}

/**
 * After a hello: settle this hypervisor's open targets against what its agent has and is doing,
 * and add it to running rollouts whose selector covers it (a new or returning hypervisor).
 * On disk → done; in flight → left alone (a pending one is taken back as the node's); otherwise →
 * pending, and the scheduler sends it. `isQueued`: a command for the rollout is on its way to
 * this connection, after this hello (the node will have it: in flight). Every change is made only
 * while the target is still at the claim read here, and the claims put back are returned: a
 * command of theirs that arrives later is not delivered (see AgentHub.deliverLocal).
 */
export async function catchUpHypervisor(
  context: CommandContext,
  hello: Pick<AgentHello, "name" | "inventory" | "active">,
  isQueued: (rolloutId: string) => boolean = () => false,
): Promise<LostClaim[]> {
  if (!(await context.cache.hasOpenRollouts())) return [];
  const hypervisor = await context.db.hypervisor.findUnique({ where: { name: hello.name } });
  if (!hypervisor) return [];
  const running = await context.db.rollout.findMany({
    where: { state: { in: [RolloutState.running, RolloutState.paused] } },
    include: { image: true, targets: { where: { hypervisorName: hello.name } } },
  });
  const files = new Set(hello.inventory.map((file) => file.fileName));
  const active = new Map(hello.active.map((download) => [`${download.rolloutId}|${download.imageId}`, download.bytes]));
  const lost: LostClaim[] = [];
  for (const rollout of running) {
    const { image } = rollout;
    const size = image.size === null ? null : Number(image.size);
    const hasFile = files.has(baseFileName(image.id));
    let target = rollout.targets[0];
    if (!target) {
      if (!selectorIncludes(rollout.selector, hypervisor)) continue;
      target = await context.db.rolloutTarget.create({
        data: { rolloutId: rollout.id, hypervisorName: hello.name, state: TargetState.pending },
      });
      context.log.info({ hypervisor: hello.name, rolloutId: rollout.id }, "hypervisor joined a running rollout");
    }
    if (target.state !== TargetState.pending && target.state !== TargetState.downloading) continue;
    const atThisClaim = { rolloutId: rollout.id, hypervisorName: hello.name, state: target.state, claim: target.claim };
    const runningBytes = active.get(`${rollout.id}|${image.id}`);
    if (runningBytes !== undefined) {
      // The node is doing it. A target put back meanwhile (its command's answer was lost) is its own
      // again; not one waiting for a retry: that node's entry is the failure still in its outbox.
      if (target.state === TargetState.pending && target.nextAttemptAt === null)
        await adoptRunning(context, atThisClaim, runningBytes, size, image.id);
      continue;
    }
    if (target.state === TargetState.downloading && isQueued(rollout.id)) continue;
    if (hasFile) {
      await markOnDisk(context, rollout.id, hello.name, image);
      continue;
    }
    if (target.state === TargetState.downloading) {
      // The agent is not doing it any more (it restarted, or the command never reached it): send again.
      const { count } = await context.db.rolloutTarget.updateMany({ where: atThisClaim, data: { state: TargetState.pending } });
      if (count === 0) continue;
      lost.push({ rolloutId: rollout.id, claim: target.claim });
      context.log.info({ hypervisor: hello.name, rolloutId: rollout.id, claim: target.claim }, "claim not on the node: put back");
    }
    await setCell(context, hello.name, image.id, { state: CellState.pending, bytes: 0n, error: null }, size);
  }
  context.events.publish("targetsChanged", {});
  return lost;
}

/** The node runs a download its target shows pending: a claim of its own, with what it has so far. */
async function adoptRunning(
  context: CommandContext,
  atThisClaim: { rolloutId: string; hypervisorName: string; state: string; claim: number },
  bytes: number,
  size: number | null,
  imageId: string,
): Promise<void> {
  const now = new Date();
  const { count } = await context.db.rolloutTarget.updateMany({
    where: atThisClaim,
    data: {
      state: TargetState.downloading,
      claim: { increment: 1 },
      attempts: { increment: 1 },
      startedAt: now,
      lastProgressAt: now,
      bytes: BigInt(Math.floor(bytes)),
      nextAttemptAt: null,
    },
  });
  if (count === 0) return;
  context.log.info(
    { hypervisor: atThisClaim.hypervisorName, rolloutId: atThisClaim.rolloutId },
    "node runs a download its target showed pending: taken back",
  );
  await setCell(
    context,
    atThisClaim.hypervisorName,
    imageId,
    { state: CellState.downloading, bytes: BigInt(Math.floor(bytes)), error: null },
    size,
  );
}
