// Server frozen (SIGSTOP) mid-rollout for longer than the agents' ping timeout (Socket.io
// pingInterval 20 s + pingTimeout 30 s = 50 s): agents drop the dead connection, keep retrying,
// and after SIGCONT reconnect and finish. The origin is frozen too, so Squid's fill stalls and
// downloads wait (the agent's stall limit is 60 s of silence; 55 s stays below it).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFaultRig, type FaultRig } from "./support/fault-rig.ts";
import { shouldSkipSquidTests } from "./support/squid.ts";

const FREEZE_MS = 55_000;

describe.skipIf(shouldSkipSquidTests("server freeze fault"))("fault: server frozen past the ping timeout", () => {
  let rig: FaultRig;
  beforeAll(async () => {
    rig = await startFaultRig({ agents: 2, imageMiB: 4 });
  }, 90_000);
  afterAll(async () => {
    await rig?.close();
  });

  it("agents notice, reconnect after SIGCONT and the rollout completes", async () => {
    const id = await rig.startRollout({ bandwidthMbps: 3 });
    await expect
      .poll(() => Math.max(...rig.agents.map((agent) => rig.partBytes(agent))), {
        message: "a node downloading (the first wave is one per proxy)",
      })
      .toBeGreaterThan(256 * 1024);
    const before = rig.agents.map((agent) => agent.output().length);
    rig.server.freeze();
    await new Promise((resolve) => setTimeout(resolve, FREEZE_MS));
    rig.server.thaw();
    const rollout = await rig.waitRollout(id, 45_000);

    // Each agent saw the frozen server as gone (ping timeout), not merely slow.
    for (const [index, agent] of rig.agents.entries()) expect(agent.output().slice(before[index]), agent.name).toContain("ping timeout");
    expect(rollout).toMatchObject({ state: "done", counts: { done: 2, failed: 0 } });
    expect(Object.values(rig.outcomes())).toEqual(["verified", "verified"]);
    const { refetched, requests } = await rig.deliveredBytes(2);
    console.log(`server frozen ${FREEZE_MS / 1000} s: ${requests} requests, ${refetched} B re-fetched`);
    // Stalled transfers continue on their connection or resume with Range: headers only.
    expect(refetched).toBeLessThanOrEqual(requests * 1024);
  }, 150_000);
});
