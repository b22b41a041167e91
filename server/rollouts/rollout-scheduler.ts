// Drives every running rollout from the database, once a second and whenever something
// happens (a subscriber of domain events pokes it). Each pass reads, asks the policy in
// plan-wave.ts what to do, and writes. All state is in the database, so a restarted server
// simply carries on.
import type { ErrorPayload } from "../../protocol/events.ts";
import { RolloutState, TargetState } from "../../protocol/states.ts";
import type { AppContext } from "../context.ts";
import { dispatchTargets, type DispatchContext, type RolloutWithImage } from "./dispatch-target.ts";
import { effectiveProxies, groupProxies, proxyKey } from "./effective-proxies.ts";
import { finishRolloutIfDone } from "./finish-rollout.ts";
import { failOrRetry } from "./target-retry.ts";
import { holdersOf, markOnDisk, reconcileStaleTargets } from "./reconcile-targets.ts";
import { hasStalled, isDue, planWave, type WaveCandidate } from "./plan-wave.ts";
import { planPeerWave } from "./peer-wave.ts";
import { findInChunks } from "../db/in-chunks.ts";
import { CONFIRM_GRACE_MS, resendUnconfirmed } from "./resend-unconfirmed.ts";

const TICK_MS = 1000;
/** A tick reads every open target; under a storm of pokes (1300 agents reconnecting) ticks
 *  would run back to back and starve everything else, so they are at least this far apart. */
const MIN_GAP_MS = 250;
/** Targets claimed and commanded together: big enough to start 10,000 in seconds, small enough that the first commands leave at once. */
const DISPATCH_CHUNK = 500;
/** How often downloading targets are checked against what their nodes hold (a lost result). */
export const DEFAULT_RECONCILE_MS = 30_000;

/** What a pass reads and writes through; the app context, or a test's, satisfies it. */
export type SchedulerContext = DispatchContext & Pick<AppContext, "progress">;

export class RolloutScheduler {
  private timer: NodeJS.Timeout | null = null;
  private isTicking = false;
  private isTickWanted = false;
  private idle: Promise<void> = Promise.resolve();
  private lastTickAt = 0;
  private delayed: NodeJS.Timeout | null = null;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private reconciling: Promise<void> = Promise.resolve();
  private confirmTimer: NodeJS.Timeout | null = null;
  private confirming: Promise<void> = Promise.resolve();

  constructor(
    private readonly context: SchedulerContext,
    private readonly reconcileMs = DEFAULT_RECONCILE_MS,
    /** Runs before a pass that has rollouts to drive (with several servers: who is connected elsewhere). */
    private readonly beforePass: () => Promise<void> = () => Promise.resolve(),
  ) {}

  start(): void {
    this.timer = setInterval(() => this.poke(), TICK_MS);
    this.timer.unref();
    // A target silent for a whole interval whose node holds the file is settled (its result was lost).
    this.reconcileTimer = setInterval(() => void this.reconcile(), this.reconcileMs);
    this.reconcileTimer.unref();
    // Claims made before this server led, that no node confirmed since: sent again, once.
    const leaderSince = new Date();
    this.confirmTimer = setTimeout(() => {
      this.confirming = this.beforePass()
        .then(() => resendUnconfirmed(this.context, leaderSince))
        .then(() => undefined)
        .catch((error: Error) => this.context.log.warn({ error: error.message }, "re-sending unconfirmed claims failed"));
    }, CONFIRM_GRACE_MS);
    this.confirmTimer.unref();
    this.poke();
  }

  private reconcile(): Promise<void> {
    this.reconciling = this.reconciling
      .then(() => this.beforePass())
      .then(() => reconcileStaleTargets(this.context, this.reconcileMs))
      .then((settled) => void (settled > 0 && this.poke()))
      .catch((error: Error) =>
        this.context.log.warn({ error: error.message }, "reconciling targets with node inventories failed; will try again"),
      );
    return this.reconciling;
  }

  async stop(): Promise<void> {
    // First: no tick starts once stopping (poke() needs the timer).
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.delayed) clearTimeout(this.delayed);
    this.delayed = null;
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    this.reconcileTimer = null;
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
    this.confirmTimer = null;
    await this.reconciling;
    await this.confirming;
    await this.idle;
  }

  /**
   * Ask for a tick soon; ticks never overlap and are at least MIN_GAP_MS apart. Only between
   * start() and stop(): every server's domain events poke its scheduler, and only the leader's
   * may dispatch (a follower that ticked on a poke commanded nodes beside the leader).
   */
  poke(): void {
    if (!this.timer) return;
    if (this.isTicking) {
      this.isTickWanted = true;
      return;
    }
    if (this.delayed) return;
    const wait = this.lastTickAt + MIN_GAP_MS - Date.now();
    if (wait > 0) {
      this.delayed = setTimeout(() => {
        this.delayed = null;
        this.poke();
      }, wait);
      return;
    }
    this.lastTickAt = Date.now();
    this.isTicking = true;
    this.idle = this.tick()
      .catch((error: Error) => this.context.log.error({ err: error }, "rollout scheduler tick failed"))
      .finally(() => {
        this.isTicking = false;
        if (this.isTickWanted && this.timer) {
          this.isTickWanted = false;
          this.poke();
        }
      });
  }

  /** One pass now, whether started or not (tests drive the scheduler pass by pass). */
  passOnce(): Promise<void> {
    return this.tick();
  }

  private async tick(): Promise<void> {
    const rollouts = await this.context.db.rollout.findMany({
      where: { state: RolloutState.running },
      include: { image: { include: { artifact: true } } },
      orderBy: { createdAt: "asc" },
    });
    if (rollouts.length) await this.beforePass();
    for (const rollout of rollouts) await this.advance(rollout);
  }

  private async advance(rollout: RolloutWithImage): Promise<void> {
    const { db } = this.context;
    const now = Date.now();
    const size = rollout.image.size === null ? null : Number(rollout.image.size);
    // Only what this tick may act on: pending targets, and downloading ones whose last stored
    // progress is older than the timeout (unflushed progress is newer still, checked below).
    // Reading all 10,000 targets several times a second was most of a big rollout's CPU.
    const cutoff = new Date(now - rollout.nodeTimeoutSeconds * 1000);
    const targets = await db.rolloutTarget.findMany({
      where: {
        rolloutId: rollout.id,
        OR: [
          { state: TargetState.pending },
          { state: TargetState.downloading, lastProgressAt: { lt: cutoff } },
          { state: TargetState.downloading, lastProgressAt: null, startedAt: { lt: cutoff } },
        ],
      },
      select: {
        hypervisorName: true,
        state: true,
        proxy: true,
        attempts: true,
        nextAttemptAt: true,
        lastProgressAt: true,
        startedAt: true,
        bytes: true,
        error: true,
      },
    });
    for (const target of targets) {
      if (target.state !== TargetState.downloading) continue;
      const lastSeen = this.context.progress.lastSeen(rollout.id, target.hypervisorName) ?? target.lastProgressAt ?? target.startedAt;
      if (hasStalled(lastSeen, now, rollout.nodeTimeoutSeconds * 1000)) {
        void this.context.agents.send(target.hypervisorName, "image:abort", { imageId: rollout.imageId, rolloutId: rollout.id });
        const error: ErrorPayload = { code: "TIMEOUT", message: `no progress for ${rollout.nodeTimeoutSeconds} s` };
        await failOrRetry(this.context, { rolloutId: rollout.id, ...target }, rollout, error, target.bytes, size);
        target.state = TargetState.pending;
      }
    }
    let waiting = targets.filter((t) => isDue(t, now, this.context.agents.isOnline(t.hypervisorName)));
    // Before sending again, ask the node's inventory: an image verified on its disk is never fetched twice.
    const holders = await holdersOf(
      this.context,
      rollout.imageId,
      waiting.filter((t) => t.attempts > 0).map((t) => t.hypervisorName),
    );
    for (const name of holders) await markOnDisk(this.context, rollout.id, name, rollout.image);
    waiting = waiting.filter((t) => !holders.has(t.hypervisorName));
    if (waiting.length === 0) {
      await finishRolloutIfDone(this.context, rollout.id);
      return;
    }
    const groups = await groupProxies(this.context);
    const hypervisors = await findInChunks(
      waiting.map((t) => t.hypervisorName),
      (names) => db.hypervisor.findMany({ where: { name: { in: names } }, select: { name: true, proxies: true, group: true } }),
    );
    const lastErrors = new Map(waiting.map((t) => [t.hypervisorName, t.error]));
    const candidates = hypervisors.map((hypervisor) => ({
      hypervisor: hypervisor.name,
      proxy: proxyKey(effectiveProxies(hypervisor, groups)),
      lastError: lastErrors.get(hypervisor.name) ?? null,
    }));
    const requests =
      rollout.source === "peers" ? await planPeerWave(this.context, rollout, candidates) : await this.planProxyWave(rollout, candidates);
    const chunks = Array.from({ length: Math.ceil(requests.length / DISPATCH_CHUNK) }, (_, i) =>
      requests.slice(i * DISPATCH_CHUNK, (i + 1) * DISPATCH_CHUNK),
    );
    await Promise.all(chunks.map((chunk) => dispatchTargets(this.context, rollout, chunk)));
  }

  /** Waves through the proxies: reads which proxies are warm and how busy, then asks plan-wave. */
  private async planProxyWave(rollout: RolloutWithImage, candidates: WaveCandidate[]) {
    const { db } = this.context;
    const [warmed, downloading] = await Promise.all([
      db.rolloutTarget.groupBy({
        by: ["proxy"],
        where: { rolloutId: rollout.id, state: TargetState.done, attempts: { gt: 0 }, proxy: { not: null } },
      }),
      db.rolloutTarget.groupBy({
        by: ["proxy"],
        where: { rolloutId: rollout.id, state: TargetState.downloading, proxy: { not: null } },
        _count: { _all: true },
      }),
    ]);
    return planWave(rollout, candidates, {
      warm: new Set(warmed.map((row) => row.proxy!)),
      downloading: new Map(downloading.map((row) => [row.proxy!, row._count._all])),
    });
  }
}
