// The two Socket.io hubs at their edges: the agent hub refuses agent events sent before the
// hello; the UI hub merges many changes into one batched delta where the last state wins.
import crypto from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UI_NAMESPACE, type UiDelta } from "../protocol/ui.ts";
import { connectRawAgent } from "./support/raw-agent.ts";
import { AGENT_TOKEN, API_TOKEN, startTestServer, type TestServer } from "./support/test-server.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

describe("agent hub: events before the hello", () => {
  it("answers NOT_READY to a result and an inventory sent before the hello, and accepts them after it", async () => {
    const raw = await connectRawAgent(server.url, { name: "hv-early", token: AGENT_TOKEN });
    try {
      const send = (event: "download:finished" | "inventory:reported", payload: object) =>
        raw.socket.timeout(5000).emitWithAck(event, payload);
      const result = {
        resultId: crypto.randomUUID(),
        rolloutId: crypto.randomUUID(),
        imageId: "never-dispatched",
        ok: true,
        bytes: 1,
        seconds: 1,
      };
      const notReady = { ok: false, error: { code: "NOT_READY", message: "say hello first" } };
      expect(await send("download:finished", result)).toEqual(notReady);
      expect(await send("inventory:reported", { freeBytes: 2 ** 40, inventory: [] })).toEqual(notReady);
      expect((await server.api("GET", "/api/hypervisors/hv-early")).status).toBe(404);

      expect((await raw.hello("hv-early")).ok).toBe(true);
      expect(await send("inventory:reported", { freeBytes: 2 ** 40, inventory: [] })).toEqual({ ok: true, data: { recorded: true } });
    } finally {
      raw.close();
    }
  });
});

describe("UI hub: merged, batched deltas", () => {
  let ui: Socket;
  const deltas: UiDelta[] = [];
  beforeAll(async () => {
    ui = io(server.url + UI_NAMESPACE, { auth: { token: API_TOKEN }, transports: ["websocket"], forceNew: true, reconnection: false });
    const snapshot = new Promise((resolve) => ui.once("state:snapshot", resolve));
    ui.on("state:delta", (delta: UiDelta) => deltas.push(delta));
    await snapshot;
  });
  afterAll(() => ui?.disconnect());

  it("sends many cell and rollout changes as one delta, the last state of each winning", async () => {
    const cell = (bytes: number, state: "downloading" | "cached") => ({
      imageId: "img-batch",
      state,
      bytes,
      totalBytes: 1000,
      error: null,
      at: 1_700_000_000_000 + bytes,
    });
    const { events } = server.context;
    for (let bytes = 0; bytes < 1000; bytes += 10)
      events.publish("cellChanged", { hypervisor: "hv-batch-a", cell: cell(bytes, "downloading") });
    events.publish("cellChanged", { hypervisor: "hv-batch-a", cell: cell(1000, "cached") });
    events.publish("cellChanged", { hypervisor: "hv-batch-b", cell: cell(40, "downloading") });
    events.publish("rolloutChanged", { rolloutId: "rollout-batch", state: "paused" });
    events.publish("rolloutChanged", { rolloutId: "rollout-batch", state: "cancelled" });

    const ours = () => deltas.filter((delta) => delta.cells.some((c) => c.hypervisor.startsWith("hv-batch-")));
    await expect.poll(() => ours().length, { timeout: 5000 }).toBe(1);
    await sleep(600); // two more flush periods: nothing further may follow
    expect(ours()).toHaveLength(1);
    const [delta] = ours();
    expect(delta.cells.sort((a, b) => a.hypervisor.localeCompare(b.hypervisor))).toEqual([
      { hypervisor: "hv-batch-a", ...cell(1000, "cached") },
      { hypervisor: "hv-batch-b", ...cell(40, "downloading") },
    ]);
    expect(delta.rollouts).toEqual([{ id: "rollout-batch", state: "cancelled" }]);
  });
});
