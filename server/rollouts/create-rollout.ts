// POST /api/rollouts: one target per hypervisor; those already holding a verified copy are
// done at once, the rest wait for the scheduler (which sends in waves, or all with jitter).
import crypto from "node:crypto";
import { CellState, RolloutState, TargetState } from "../../protocol/states.ts";
import { chunksOf, findInChunks } from "../db/in-chunks.ts";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import { finishRolloutIfDone } from "./finish-rollout.ts";
import { DEFAULT_RETRY_BUDGET_SECONDS } from "../../protocol/events.ts";
import type { CreatedRollout, CreateRolloutRequest } from "../../protocol/api/rollouts.ts";

export type RolloutSelector = { all: true } | { groups: string[] } | { hypervisors: string[] };
type RolloutContext = Pick<AppContext, "db" | "events" | "log">;

/** The request, and who made it (the request's actor name), shown in the rollout history. */
export type CreateRolloutOptions = CreateRolloutRequest & { createdBy?: string };

export async function createRollout(context: RolloutContext, options: CreateRolloutOptions): Promise<CreatedRollout> {
  const nodeTimeoutSeconds = options.nodeTimeoutSeconds ?? 1800;
  // Below the node timeout, or the server gives a node up while its agent is still resuming.
  const retryBudgetSeconds =
    options.retryBudgetSeconds ?? Math.max(1, Math.min(DEFAULT_RETRY_BUDGET_SECONDS, Math.floor(nodeTimeoutSeconds / 2)));
  if (retryBudgetSeconds >= nodeTimeoutSeconds) {
    throw new AppError(
      "VALIDATION_FAILED",
      `retryBudgetSeconds (${retryBudgetSeconds}) must be below nodeTimeoutSeconds (${nodeTimeoutSeconds})`,
    );
  }
  const image = await context.db.image.findUnique({ where: { id: options.imageId }, include: { artifact: true } });
  if (!image) throw new AppError("IMAGE_NOT_FOUND", `no image ${options.imageId}`);
  if (image.artifact?.state !== "ready") {
    throw new AppError("ARTIFACT_NOT_READY", `image ${image.name} is not published yet: POST /api/images/${image.id}/publish first`);
  }
  const selector: RolloutSelector = options.hypervisors
    ? { hypervisors: [...new Set(options.hypervisors)] }
    : options.groups
      ? { groups: options.groups }
      : { all: true };
  const names = await selectHypervisors(context, selector);
  if (names.length === 0) throw new AppError("NO_TARGETS", "no hypervisors match: start an agent first, or check the group names");
  // A re-fetch sends to every target: the agent downloads and verifies again, then replaces its copy.
  const cached = options.refetchCached
    ? []
    : await findInChunks(names, (chunk) =>
        context.db.hypervisorImage.findMany({
          where: { imageId: image.id, hypervisorName: { in: chunk }, state: CellState.cached, verified: true },
          select: { hypervisorName: true },
        }),
      );
  const alreadyThere = new Set(cached.map((row) => row.hypervisorName));
  const rolloutId = crypto.randomUUID();
  const targets = names.map((hypervisorName) =>
    alreadyThere.has(hypervisorName)
      ? { rolloutId, hypervisorName, state: TargetState.done, bytes: image.size ?? 0n, finishedAt: new Date() }
      : { rolloutId, hypervisorName, state: TargetState.pending },
  );
  // One transaction: the rollout and its targets in multi-row INSERTs of a few thousand each
  // (one INSERT per hypervisor would be slow; one for all would pass Postgres' parameter limit).
  const [rollout] = await context.db.$transaction([
    context.db.rollout.create({
      data: {
        id: rolloutId,
        imageId: image.id,
        state: RolloutState.running,
        strategy: options.strategy ?? "waves",
        source: options.source ?? "squid",
        jitterMs: Math.round((options.jitterSeconds ?? 0) * 1000),
        perProxyConcurrency: options.perProxyConcurrency ?? 25,
        maxAttempts: options.maxAttempts ?? 3,
        nodeTimeoutSeconds,
        retryBudgetSeconds,
        bandwidthBytesPerSecond: options.bandwidthMbps ? BigInt(Math.round((options.bandwidthMbps * 1e6) / 8)) : null,
        selector,
        createdBy: options.createdBy ?? null,
      },
    }),
    ...chunksOf(targets).map((data) => context.db.rolloutTarget.createMany({ data })),
  ]);
  const size = image.size === null ? null : Number(image.size);
  const toSend = names.filter((name) => !alreadyThere.has(name));
  // Set-based, not one upsert per hypervisor: 10,000 upserts outlive Prisma's 5 s transaction timeout.
  await context.db.$transaction(
    chunksOf(toSend).flatMap((chunk) => [
      context.db.hypervisorImage.updateMany({
        where: { imageId: image.id, hypervisorName: { in: chunk } },
        data: { state: CellState.pending, bytes: 0n, error: null },
      }),
      context.db.hypervisorImage.createMany({
        data: chunk.map((name) => ({ hypervisorName: name, imageId: image.id, state: CellState.pending })),
        skipDuplicates: true,
      }),
    ]),
  );
  for (const name of toSend)
    context.events.publish("cellChanged", {
      hypervisor: name,
      cell: { imageId: image.id, state: CellState.pending, bytes: 0, totalBytes: size, error: null, at: Date.now() },
    });
  context.log.info(
    { rolloutId: rollout.id, imageId: image.id, targets: names.length, alreadyCached: alreadyThere.size, strategy: rollout.strategy },
    "rollout created",
  );
  // Published as running: subscribers start a scheduler pass and forget "no open rollouts".
  context.events.publish("rolloutChanged", { rolloutId: rollout.id, state: RolloutState.running });
  await finishRolloutIfDone(context, rollout.id);
  return { id: rollout.id, state: RolloutState.running, targets: names.length };
}

export async function selectHypervisors(context: Pick<AppContext, "db">, selector: RolloutSelector): Promise<string[]> {
  if ("hypervisors" in selector) {
    const found = await findInChunks(selector.hypervisors, (chunk) =>
      context.db.hypervisor.findMany({ where: { name: { in: chunk } }, select: { name: true } }),
    );
    const known = new Set(found.map((row) => row.name));
    const unknown = selector.hypervisors.filter((name) => !known.has(name));
    if (unknown.length)
      throw new AppError("NOT_FOUND", `unknown hypervisors: ${unknown.slice(0, 10).join(", ")}${unknown.length > 10 ? " …" : ""}`);
    return selector.hypervisors;
  }
  const where = "groups" in selector ? { group: { in: selector.groups } } : {};
  const rows = await context.db.hypervisor.findMany({ where, select: { name: true }, orderBy: { name: "asc" } });
  return rows.map((row) => row.name);
}

/** Does a hypervisor that appears later belong to this rollout? (all / its group) */
export function selectorIncludes(selector: unknown, hypervisor: { group: string | null }): boolean {
  const value = selector as RolloutSelector | null;
  if (!value || "all" in value) return true;
  if ("groups" in value) return hypervisor.group !== null && value.groups.includes(hypervisor.group);
  return false;
}
