// Pause stops a rollout from dispatching (a node that comes online meanwhile gets nothing);
// resume dispatches again. Neither applies to a rollout in the other state.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRawNode, type RawNode } from "./support/raw-agent.ts";
import { publishAndWait, startTestServer, type TestServer } from "./support/test-server.ts";

describe("rollout pause and resume", () => {
  let server: TestServer;
  const nodes: RawNode[] = [];
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    for (const node of nodes) node.close();
    await server?.close();
  });

  const node = async (name: string, credential?: string) => {
    const raw = await connectRawNode(server.url, name, credential);
    nodes.push(raw);
    return raw;
  };
  const rollout = async (id: string) => (await server.api("GET", `/api/rollouts/${id}`)).body.rollout;
  const targetOf = async (id: string, name: string) =>
    (await rollout(id)).hypervisors.find((target: { name: string }) => target.name === name);

  it("dispatches nothing while paused, and the waiting target after resume", async () => {
    const image = (await server.api("GET", "/api/images")).body.images[0];
    await publishAndWait(server, image.id);
    const online = await node("hv-pause-online");
    // Known to the server, then offline: its target waits for it.
    const late = await node("hv-pause-late");
    late.close();
    await expect.poll(async () => (await server.api("GET", "/api/hypervisors/hv-pause-late")).body.hypervisor.online).toBe(false);

    // Jitter 0: every node at once (waves would hold the second node until the first is done).
    const created = await server.api("POST", "/api/rollouts", {
      imageId: image.id,
      hypervisors: ["hv-pause-online", "hv-pause-late"],
      strategy: "jitter",
      jitterSeconds: 0,
    });
    expect(created.status).toBe(201);
    const id: string = created.body.rollout.id;
    await expect.poll(() => online.commands.length).toBe(1);

    const paused = await server.api("POST", `/api/rollouts/${id}/pause`, {});
    expect(paused).toMatchObject({ status: 200, body: { rollout: { state: "paused" } } });
    expect(await server.api("POST", `/api/rollouts/${id}/pause`, {})).toMatchObject({
      status: 409,
      body: { error: { code: "ROLLOUT_FINISHED" } },
    });

    const back = await node("hv-pause-late", late.credential);
    await sleep(2500); // more than two scheduler ticks (1 s)
    expect(back.commands).toEqual([]);
    expect(await targetOf(id, "hv-pause-late")).toMatchObject({ state: "pending" });

    const resumed = await server.api("POST", `/api/rollouts/${id}/resume`, {});
    expect(resumed).toMatchObject({ status: 200, body: { rollout: { state: "running" } } });
    await expect.poll(() => back.commands.map((command) => command.rolloutId)).toEqual([id]);
    await expect.poll(async () => (await targetOf(id, "hv-pause-late")).state).toBe("downloading");
    expect(await server.api("POST", `/api/rollouts/${id}/resume`, {})).toMatchObject({ status: 409 });
  });
});
