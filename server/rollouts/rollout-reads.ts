// Reading rollouts without loading their targets: counts, bytes and per-proxy load come from
// GROUP BY; the history is keyset-paginated newest first; targets come a page at a time.
import { z } from "zod";
import { imageId as imageIdSchema } from "../../protocol/ids.ts";
import type {
  RolloutCounts,
  RolloutHistoryRow,
  RolloutListReply,
  RolloutTargetRow,
  RolloutTotals,
  RolloutView,
  TargetPageReply,
} from "../../protocol/api/rollouts.ts";
import { RolloutState, TargetState } from "../../protocol/states.ts";
import type { Prisma, RolloutTarget } from "../db/generated/client.ts";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import { invalidParam, pageLimit, parseQueryParams } from "../http/query-params.ts";
import { toTargetRow } from "./rollout-views.ts";

type Db = Pick<AppContext, "db">;

/** Up to this many targets, GET /api/rollouts/:id still lists them all in `hypervisors`. */
export const INLINE_TARGETS_MAX = 500;
export const ROLLOUT_PAGE_MAX = 200;
export const ROLLOUT_PAGE_DEFAULT = 50;
export const TARGET_PAGE_MAX = 1000;
export const TARGET_PAGE_DEFAULT = 100;

const emptyCounts = (): RolloutCounts => ({ pending: 0, downloading: 0, done: 0, failed: 0, cancelled: 0 });

/** Counts and bytes of each rollout, two GROUP BYs for any number of rollouts. */
export async function rolloutTotals(context: Db, ids: string[]): Promise<Map<string, RolloutTotals>> {
  const totals = new Map<string, RolloutTotals>(
    ids.map((id) => [id, { counts: emptyCounts(), retrying: 0, targets: 0, bytesDelivered: 0, bytesFromPeers: 0 }]),
  );
  if (ids.length === 0) return totals;
  const [byState, retrying] = await Promise.all([
    context.db.rolloutTarget.groupBy({
      by: ["rolloutId", "state"],
      where: { rolloutId: { in: ids } },
      _count: { _all: true },
      _sum: { bytes: true, peerBytes: true },
    }),
    context.db.rolloutTarget.groupBy({
      by: ["rolloutId"],
      where: { rolloutId: { in: ids }, state: TargetState.pending, attempts: { gt: 0 } },
      _count: { _all: true },
    }),
  ]);
  for (const row of byState) {
    const total = totals.get(row.rolloutId)!;
    if (row.state in total.counts) total.counts[row.state as keyof RolloutCounts] += row._count._all;
    total.targets += row._count._all;
    total.bytesDelivered += Number(row._sum.bytes ?? 0n);
    total.bytesFromPeers += Number(row._sum.peerBytes ?? 0n);
  }
  for (const row of retrying) totals.get(row.rolloutId)!.retrying = row._count._all;
  return totals;
}

/** Targets that had an attempt, per proxy and state (one GROUP BY). */
export async function perProxyLoad(context: Db, rolloutId: string): Promise<RolloutView["perProxy"]> {
  const rows = await context.db.rolloutTarget.groupBy({
    by: ["proxy", "state"],
    where: {
      rolloutId,
      attempts: { gt: 0 },
      proxy: { not: null },
      state: { in: [TargetState.downloading, TargetState.done, TargetState.failed] },
    },
    _count: { _all: true },
  });
  const load = new Map<string, RolloutView["perProxy"][number]>();
  for (const row of rows) {
    const proxy = row.proxy!;
    const entry = load.get(proxy) ?? { proxy, downloading: 0, done: 0, failed: 0 };
    entry[row.state as "downloading" | "done" | "failed"] += row._count._all;
    load.set(proxy, entry);
  }
  return [...load.values()].sort((a, b) => a.proxy.localeCompare(b.proxy));
}

const rolloutStates = Object.values(RolloutState) as [string, ...string[]];
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "must be a rollout id (a UUID)");

const listFields = {
  imageId: imageIdSchema,
  state: z.enum(rolloutStates, { message: `must be one of ${rolloutStates.join(", ")}` }),
  /** The last rollout of the previous page: only older ones. */
  before: uuid,
  limit: pageLimit(ROLLOUT_PAGE_MAX),
};

/** GET /api/rollouts: newest first, filtered by image and state, `limit` at a time. */
export async function listRolloutPage(context: Db, query: URLSearchParams): Promise<RolloutListReply> {
  const parsed = parseQueryParams(query, listFields);
  const limit = parsed.limit ?? ROLLOUT_PAGE_DEFAULT;
  const where: Prisma.RolloutWhereInput = {};
  if (parsed.imageId) where.imageId = parsed.imageId;
  if (parsed.state) where.state = parsed.state;
  if (parsed.before) {
    const cursor = await context.db.rollout.findUnique({ where: { id: parsed.before }, select: { createdAt: true } });
    if (!cursor) throw invalidParam("before", "no such rollout");
    where.OR = [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: parsed.before } }];
  }
  const rows = await context.db.rollout.findMany({
    where,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    include: { image: { select: { name: true } } },
  });
  const page = rows.slice(0, limit);
  const totals = await rolloutTotals(
    context,
    page.map((row) => row.id),
  );
  return {
    rollouts: page.map(
      (row): RolloutHistoryRow => ({
        id: row.id,
        imageId: row.imageId,
        imageName: row.image.name,
        state: row.state as RolloutState,
        strategy: row.strategy,
        source: row.source,
        createdBy: row.createdBy,
        createdAt: row.createdAt.toISOString(),
        finishedAt: row.finishedAt?.toISOString() ?? null,
        ...totals.get(row.id)!,
      }),
    ),
    nextBefore: rows.length > limit ? page[page.length - 1].id : null,
  };
}

const targetStates: [string, ...string[]] = ["retrying", ...Object.values(TargetState)];
const targetFields = {
  /** A target state, or "retrying" (pending after a failed attempt). */
  state: z.enum(targetStates, { message: `must be one of ${targetStates.join(", ")}` }),
  /** The last hypervisor of the previous page: only names after it. */
  after: z
    .string()
    .min(1, "must not be empty")
    .max(253, "at most 253 characters")
    .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), "must not contain control characters"),
  limit: pageLimit(TARGET_PAGE_MAX),
};

/** GET /api/rollouts/:id/targets: by hypervisor name, `limit` at a time. */
export async function listTargetPage(context: Db, rolloutId: string, query: URLSearchParams): Promise<TargetPageReply> {
  const parsed = parseQueryParams(query, targetFields);
  const limit = parsed.limit ?? TARGET_PAGE_DEFAULT;
  const exists = await context.db.rollout.findUnique({ where: { id: rolloutId }, select: { id: true } });
  if (!exists) throw new AppError("NOT_FOUND", `no rollout ${rolloutId}`);
  const where: Prisma.RolloutTargetWhereInput = { rolloutId };
  if (parsed.state === "retrying") Object.assign(where, { state: TargetState.pending, attempts: { gt: 0 } });
  else if (parsed.state) where.state = parsed.state;
  if (parsed.after) where.hypervisorName = { gt: parsed.after };
  const rows = await context.db.rolloutTarget.findMany({ where, orderBy: { hypervisorName: "asc" }, take: limit + 1 });
  const page = rows.slice(0, limit);
  return { targets: page.map(toTargetView), nextAfter: rows.length > limit ? page[page.length - 1].hypervisorName : null };
}

export function toTargetView(target: RolloutTarget): RolloutTargetRow {
  return {
    ...toTargetRow(target),
    nextAttemptAt: target.nextAttemptAt?.toISOString() ?? null,
    startedAt: target.startedAt?.toISOString() ?? null,
    finishedAt: target.finishedAt?.toISOString() ?? null,
  };
}
