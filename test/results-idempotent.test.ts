// A re-sent result changes nothing and is acked; a result that never arrives is settled from the
// node's inventory by the reconcile timer, without waiting for the no-progress timeout.
import crypto from "node:crypto";
import { expect, it } from "vitest";
import { baseFileName } from "../protocol/nova-files.ts";
import { describeEachDatabaseServer } from "./support/each-database-server.ts";
import { connectRawNode } from "./support/raw-agent.ts";
import { publishAndWait, waitFor, type TestServer } from "./support/test-server.ts";

const rawNode = (server: TestServer, name: string) => connectRawNode(server.url, name);

async function startRollout(server: TestServer, node: string, extra: Record<string, unknown> = {}) {
  const image = (await server.api("GET", "/api/images")).body.images[0];
  await publishAndWait(server, image.id);
  const created = await server.api("POST", "/api/rollouts", { imageId: image.id, hypervisors: [node], ...extra });
  expect(created.status).toBe(201);
  return { image, rolloutId: created.body.rollout.id as string };
}

const targetOf = async (server: TestServer, rolloutId: string) =>
  (await server.api("GET", `/api/rollouts/${rolloutId}`)).body.rollout.hypervisors[0];

describeEachDatabaseServer("download results", { PRECACHE_RECONCILE_SECONDS: "1" }, (server) => {
  it("a success sent twice (same resultId, then another id) is acked each time and applied once", async () => {
    const raw = await rawNode(server(), "hv-twice");
    const { image, rolloutId } = await startRollout(server(), "hv-twice");
    await expect.poll(() => raw.commands.length, { message: "the precache command" }).toBeGreaterThan(0);
    const result = { resultId: crypto.randomUUID(), rolloutId, imageId: image.id, ok: true, bytes: image.size, seconds: 1 };
    const send = (payload: object) => raw.socket.timeout(5000).emitWithAck("download:finished", payload);
    expect(await send(result)).toEqual({ ok: true, data: { resultId: result.resultId, recorded: true } });
    expect(await send(result)).toEqual({ ok: true, data: { resultId: result.resultId, recorded: false } });
    const other = { ...result, resultId: crypto.randomUUID() };
    expect(await send(other)).toMatchObject({ ok: true, data: { resultId: other.resultId } });
    expect(await targetOf(server(), rolloutId)).toMatchObject({ state: "done", attempts: 1 });
    raw.close();
  });

  it("a failure re-sent after it was applied does not count as a second attempt", async () => {
    const raw = await rawNode(server(), "hv-fail-twice");
    const { image, rolloutId } = await startRollout(server(), "hv-fail-twice", { maxAttempts: 3 });
    await expect.poll(() => raw.commands.length, { message: "the precache command" }).toBeGreaterThan(0);
    const failure = {
      rolloutId,
      imageId: image.id,
      ok: false,
      bytes: 0,
      seconds: 1,
      error: { code: "FETCH_FAILED", message: "proxy refused" },
    };
    const send = (payload: object) => raw.socket.timeout(5000).emitWithAck("download:finished", payload);
    expect(await send({ ...failure, resultId: crypto.randomUUID() })).toMatchObject({ ok: true, data: { recorded: true } });
    const first = await targetOf(server(), rolloutId);
    // A different id, as after a server restart that forgot the first: the target tells it apart.
    expect(await send({ ...failure, resultId: crypto.randomUUID() })).toMatchObject({ ok: true, data: { recorded: false } });
    expect(await targetOf(server(), rolloutId)).toEqual(first);
    expect(first).toMatchObject({ state: "pending", attempts: 1, error: "FETCH_FAILED: proxy refused" });
    raw.close();
  });

  it("a result that never arrives is settled from the node's inventory by the reconcile timer", async () => {
    const raw = await rawNode(server(), "hv-lost-result");
    const { image, rolloutId } = await startRollout(server(), "hv-lost-result");
    await expect.poll(() => raw.commands.length, { message: "the precache command" }).toBeGreaterThan(0);
    // The file is on disk (inventory) but its download:finished was lost; the timeout is 30 minutes.
    raw.socket.emit("inventory:reported", {
      freeBytes: 2 ** 40,
      inventory: [{ fileName: baseFileName(image.id), bytes: image.size, mtimeMs: Date.now() }],
    });
    const startedAt = Date.now();
    const rollout = await waitFor(
      "the rollout done without the result",
      async () => {
        const view = (await server().api("GET", `/api/rollouts/${rolloutId}`)).body.rollout;
        return view.state === "done" ? view : undefined;
      },
      15_000,
    );
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(rollout.hypervisors[0]).toMatchObject({ state: "done", attempts: 1 });
    expect(raw.commands).toHaveLength(1); // not sent again
    raw.close();
  });
});
