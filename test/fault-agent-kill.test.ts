// Agent SIGKILL mid-download: the process dies with a `.part` on disk; started again on the same
// cache dir and state dir, without any enrolment token, it clears the `.part`, comes back with
// its stored credential and the target ends verified. Real server, Squid and agent processes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFaultRig, type FaultRig } from "./support/fault-rig.ts";
import { shouldSkipSquidTests } from "./support/squid.ts";
import { waitFor } from "./support/test-server.ts";

const IMAGE_MIB = 4;

describe.skipIf(shouldSkipSquidTests("agent SIGKILL fault"))("fault: agent SIGKILL mid-download", () => {
  let rig: FaultRig;
  beforeAll(async () => {
    rig = await startFaultRig({ agents: 2, imageMiB: IMAGE_MIB });
  }, 90_000);
  afterAll(async () => {
    await rig?.close();
  });

  it("clears the .part, re-enrols with its stored credential and ends verified", async () => {
    // 3 Mbit/s: about 11 s per node, long enough to kill one in the middle.
    const id = await rig.startRollout({ bandwidthMbps: 3 });
    const [victim, witness] = rig.agents;
    const killedAt = await waitFor(
      "a third of the image in the victim's .part",
      () => (rig.partBytes(victim) > rig.artifact.compressedSize / 3 ? rig.partBytes(victim) : undefined),
      30_000,
    );
    await victim.kill();
    expect(rig.partBytes(victim)).toBeGreaterThan(0); // the dead process left its .part behind

    victim.restart({ token: null });
    await rig.waitOnline([victim.name]);
    const rollout = await rig.waitRollout(id, 60_000);

    expect(victim.output()).toContain("removed partial downloads left by a previous run");
    expect(victim.output()).not.toContain("no credential");
    expect(rollout).toMatchObject({ state: "done", counts: { done: 2, failed: 0 } });
    expect(rig.outcomes()).toEqual({ [victim.name]: "verified", [witness.name]: "verified" });
    // The killed download restarts from 0 (its .part is gone), so what it had is fetched again.
    // Squid counts what it wrote to the socket, and loopback socket buffers take megabytes the
    // throttled agent had not read yet: the bound is one artifact, not what the .part held.
    const { refetched, requests } = await rig.deliveredBytes(2);
    console.log(`agent SIGKILL at ${killedAt} B (.part): ${requests} requests, ${refetched} B re-fetched`);
    expect(refetched).toBeGreaterThanOrEqual(killedAt - 64 * 1024);
    expect(refetched).toBeLessThanOrEqual(rig.artifact.compressedSize + requests * 1024);
  }, 90_000);
});
