// Which hypervisors a rollout has sent its command to (dispatch records startedAt when it claims
// a target). Agents' progress and results count only for those: an agent cannot report for a
// target that was never dispatched to it, nor mark verified an image it was never sent. Known in
// bulk per rollout, so the first progress of 10,000 nodes costs a few queries, not 10,000.
import type { Db } from "../db/open-database.ts";

/** Rollout ids are UUIDs: anything else names no target, and never reaches a query. */
const ROLLOUT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Progress misses re-read a rollout at most this often; a result is checked against its own target. */
const PROGRESS_REFRESH_MS = 1000;
/** Another server process (shared Postgres) may stamp startedAt with a clock a little behind ours. */
const CLOCK_SLACK_MS = 5_000;
const MAX_ROLLOUTS = 1000;

type Known = {
  imageId: string | null;
  hypervisors: Set<string>;
  readSince: Date | null;
  lastReadStartedAt: number;
  reading: { startedAt: number; done: Promise<void> } | null;
};

export class DispatchedTargets {
  private readonly rollouts = new Map<string, Known>();

  constructor(private readonly db: Db) {}

  /** `isResult`: a miss is checked against the node's own target, never answered from a recent read. */
  async wasDispatched(report: { rolloutId: string; imageId: string }, hypervisor: string, isResult: boolean): Promise<boolean> {
    if (!ROLLOUT_ID.test(report.rolloutId)) return false;
    const known = this.known(report.rolloutId);
    const matches = () => known.imageId === report.imageId && known.hypervisors.has(hypervisor);
    if (matches()) return true;
    if (!isResult && Date.now() - known.lastReadStartedAt < PROGRESS_REFRESH_MS) {
      if (known.reading) await known.reading.done;
      return matches();
    }
    if (!isResult) {
      await this.read(report.rolloutId, known);
      return matches();
    }
    // One result per node: a lookup of its own target is cheaper than re-reading the rollout.
    // A result is acked once judged: database trouble must throw (the agent re-sends), never read as "not dispatched".
    if (known.imageId === null) await this.read(report.rolloutId, known);
    if (known.imageId === null) throw new Error(`cannot read rollout ${report.rolloutId}: database unavailable`);
    if (known.imageId !== report.imageId) return false;
    const target = await this.db.rolloutTarget.findUnique({
      where: { rolloutId_hypervisorName: { rolloutId: report.rolloutId, hypervisorName: hypervisor } },
      select: { startedAt: true },
    });
    if (target?.startedAt) known.hypervisors.add(hypervisor);
    return matches();
  }

  private known(rolloutId: string): Known {
    let known = this.rollouts.get(rolloutId);
    if (known) return known;
    if (this.rollouts.size >= MAX_ROLLOUTS) this.rollouts.delete(this.rollouts.keys().next().value!);
    known = { imageId: null, hypervisors: new Set(), readSince: null, lastReadStartedAt: 0, reading: null };
    this.rollouts.set(rolloutId, known);
    return known;
  }

  /** Joins the read in flight, or starts one that adds what was dispatched since the last. */
  private read(rolloutId: string, known: Known): Promise<void> {
    if (known.reading) return known.reading.done;
    const startedAt = Date.now();
    const since = known.readSince;
    const done = (async () => {
      try {
        if (known.imageId === null) {
          const rollout = await this.db.rollout.findUnique({ where: { id: rolloutId }, select: { imageId: true } });
          known.imageId = rollout?.imageId ?? "";
        }
        const rows = await this.db.rolloutTarget.findMany({
          where: { rolloutId, startedAt: since ? { not: null, gte: since } : { not: null } },
          select: { hypervisorName: true },
        });
        for (const row of rows) known.hypervisors.add(row.hypervisorName);
        known.readSince = new Date(startedAt - CLOCK_SLACK_MS);
      } catch {
        // Unreadable (database trouble): nothing is added, so nothing unverified is accepted.
      } finally {
        known.lastReadStartedAt = startedAt;
        known.reading = null;
      }
    })();
    known.reading = { startedAt, done };
    return done;
  }
}
