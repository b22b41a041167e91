// Reading cleanups: counts and freed bytes by GROUP BY; the history keyset-paginated newest
// first; a cleanup's nodes inline up to INLINE_NODES_MAX, otherwise a page at a time.
import { z } from "zod";
import {
  type ArtifactOutcome,
  CleanupState,
  NodeOutcome,
  proxyPurge,
  type CleanupArtifact,
  type CleanupCounts,
  type CleanupDetail,
  type CleanupListReply,
  type CleanupNodePageReply,
  type CleanupNodeRow,
  type CleanupSummary,
} from "../../protocol/api/cleanup.ts";
import { CLEANUP_ID_PATTERN, imageId as imageIdSchema } from "../../protocol/ids.ts";
import type { AppContext } from "../context.ts";
import type { Cleanup, CleanupNode, Prisma } from "../db/generated/client.ts";
import { AppError } from "../errors.ts";
import { invalidParam, pageLimit, parseQueryParams } from "../http/query-params.ts";

type Db = Pick<AppContext, "db">;

export const INLINE_NODES_MAX = 500;
export const CLEANUP_PAGE_MAX = 200;
export const CLEANUP_PAGE_DEFAULT = 50;
export const NODE_PAGE_MAX = 1000;
export const NODE_PAGE_DEFAULT = 100;

type Totals = { nodes: number; counts: CleanupCounts; freedBytes: number };

const emptyCounts = (): CleanupCounts => ({ pending: 0, deleted: 0, absent: 0, refused: 0, offline: 0, timeout: 0, interrupted: 0 });

/** Nodes per outcome and bytes freed of each cleanup, one GROUP BY for any number of cleanups. */
async function cleanupTotals(context: Db, ids: string[]): Promise<Map<string, Totals>> {
  const totals = new Map<string, Totals>(ids.map((id) => [id, { nodes: 0, counts: emptyCounts(), freedBytes: 0 }]));
  if (ids.length === 0) return totals;
  const rows = await context.db.cleanupNode.groupBy({
    by: ["cleanupId", "outcome"],
    where: { cleanupId: { in: ids } },
    _count: { _all: true },
    _sum: { freedBytes: true },
  });
  for (const row of rows) {
    const total = totals.get(row.cleanupId)!;
    if (row.outcome in total.counts) total.counts[row.outcome as NodeOutcome] += row._count._all;
    total.nodes += row._count._all;
    total.freedBytes += Number(row._sum.freedBytes ?? 0n);
  }
  return totals;
}

/** GET /api/cleanups/:id */
export async function getCleanup(context: Db, id: string): Promise<CleanupDetail> {
  const cleanup = await context.db.cleanup.findUnique({ where: { id }, include: { image: { select: { name: true } } } });
  if (!cleanup) throw new AppError("NOT_FOUND", `no cleanup ${id}`);
  const totals = (await cleanupTotals(context, [id])).get(id)!;
  const isInline = totals.nodes <= INLINE_NODES_MAX;
  const nodes = isInline ? await context.db.cleanupNode.findMany({ where: { cleanupId: id }, orderBy: { hypervisorName: "asc" } }) : [];
  return { ...toSummary(cleanup, totals), hypervisors: nodes.map(toNodeRow), hypervisorsInline: isInline };
}

const cleanupStates = Object.values(CleanupState) as [string, ...string[]];
const cleanupId = z.string().regex(CLEANUP_ID_PATTERN, "must be a cleanup id (a UUID)");

const listFields = {
  imageId: imageIdSchema,
  state: z.enum(cleanupStates, { message: `must be one of ${cleanupStates.join(", ")}` }),
  /** The last cleanup of the previous page: only older ones. */
  before: cleanupId,
  limit: pageLimit(CLEANUP_PAGE_MAX),
};

/** GET /api/cleanups: newest first, filtered by image and state, `limit` at a time. */
export async function listCleanupPage(context: Db, query: URLSearchParams): Promise<CleanupListReply> {
  const parsed = parseQueryParams(query, listFields);
  const limit = parsed.limit ?? CLEANUP_PAGE_DEFAULT;
  const where: Prisma.CleanupWhereInput = {};
  if (parsed.imageId) where.imageId = parsed.imageId;
  if (parsed.state) where.state = parsed.state;
  if (parsed.before) {
    const cursor = await context.db.cleanup.findUnique({ where: { id: parsed.before }, select: { createdAt: true } });
    if (!cursor) throw invalidParam("before", "no such cleanup");
    where.OR = [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: parsed.before } }];
  }
  const rows = await context.db.cleanup.findMany({
    where,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    include: { image: { select: { name: true } } },
  });
  const page = rows.slice(0, limit);
  const totals = await cleanupTotals(
    context,
    page.map((row) => row.id),
  );
  return {
    cleanups: page.map((row) => toSummary(row, totals.get(row.id)!)),
    nextBefore: rows.length > limit ? page[page.length - 1].id : null,
  };
}

const nodeOutcomes = Object.values(NodeOutcome) as [string, ...string[]];
const nodeFields = {
  outcome: z.enum(nodeOutcomes, { message: `must be one of ${nodeOutcomes.join(", ")}` }),
  /** The last hypervisor of the previous page: only names after it. */
  after: z
    .string()
    .min(1, "must not be empty")
    .max(253, "at most 253 characters")
    .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), "must not contain control characters"),
  limit: pageLimit(NODE_PAGE_MAX),
};

/** GET /api/cleanups/:id/nodes: by hypervisor name, `limit` at a time. */
export async function listCleanupNodePage(context: Db, id: string, query: URLSearchParams): Promise<CleanupNodePageReply> {
  const parsed = parseQueryParams(query, nodeFields);
  const limit = parsed.limit ?? NODE_PAGE_DEFAULT;
  const exists = await context.db.cleanup.findUnique({ where: { id }, select: { id: true } });
  if (!exists) throw new AppError("NOT_FOUND", `no cleanup ${id}`);
  const where: Prisma.CleanupNodeWhereInput = { cleanupId: id };
  if (parsed.outcome) where.outcome = parsed.outcome;
  if (parsed.after) where.hypervisorName = { gt: parsed.after };
  const rows = await context.db.cleanupNode.findMany({ where, orderBy: { hypervisorName: "asc" }, take: limit + 1 });
  const page = rows.slice(0, limit);
  return { nodes: page.map(toNodeRow), nextAfter: rows.length > limit ? page[page.length - 1].hypervisorName : null };
}

function toSummary(cleanup: Cleanup & { image: { name: string } }, totals: Totals): CleanupSummary {
  return {
    id: cleanup.id,
    imageId: cleanup.imageId,
    imageName: cleanup.image.name,
    state: cleanup.state as CleanupState,
    createdBy: cleanup.createdBy,
    createdAt: cleanup.createdAt.toISOString(),
    finishedAt: cleanup.finishedAt?.toISOString() ?? null,
    removeArtifact: cleanup.removeArtifact,
    purgeProxies: cleanup.purgeProxies,
    ...totals,
    artifact: toArtifactOutcome(cleanup),
  };
}

function toArtifactOutcome(cleanup: Cleanup): CleanupArtifact {
  const purges = z.array(proxyPurge).safeParse(cleanup.artifactPurges);
  return {
    outcome: cleanup.artifactOutcome as ArtifactOutcome,
    purges: purges.success ? purges.data : [],
    error: cleanup.artifactError,
  };
}

function toNodeRow(node: CleanupNode): CleanupNodeRow {
  return {
    name: node.hypervisorName,
    outcome: node.outcome as NodeOutcome,
    freedBytes: Number(node.freedBytes),
    error: node.error,
    finishedAt: node.finishedAt?.toISOString() ?? null,
  };
}
