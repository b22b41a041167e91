// Only a started scheduler (the leader's) reads and dispatches: every server's domain events poke
// its scheduler, and a follower that ticked on a poke commanded nodes beside the leader (a node
// sent its command twice in the cluster failover test).
import pino from "pino";
import { describe, expect, it } from "vitest";
import { RolloutScheduler, type SchedulerContext } from "./rollout-scheduler.ts";

function countingContext(): { context: SchedulerContext; passes(): number } {
  let passes = 0;
  const db = {
    rollout: {
      findMany: async () => {
        passes += 1;
        return [];
      },
    },
  };
  return { context: { db, log: pino({ level: "silent" }) } as unknown as SchedulerContext, passes: () => passes };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe("RolloutScheduler", () => {
  it("does not tick on a poke before start() (a follower's scheduler)", async () => {
    const { context, passes } = countingContext();
    const scheduler = new RolloutScheduler(context);
    scheduler.poke();
    scheduler.poke();
    await settle();
    expect(passes()).toBe(0);
  });

  it("ticks once started, and not after stop() (leadership lost)", async () => {
    const { context, passes } = countingContext();
    const scheduler = new RolloutScheduler(context);
    scheduler.start();
    await settle();
    expect(passes()).toBeGreaterThan(0);
    await scheduler.stop();
    const before = passes();
    scheduler.poke();
    await settle();
    expect(passes()).toBe(before);
  });
});
