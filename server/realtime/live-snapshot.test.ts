import { describe, expect, it } from "vitest";
import type { CellView, UiDelta, UiSnapshot } from "../../protocol/ui.ts";
import { LiveSnapshot } from "./live-snapshot.ts";
import { setTimeout as sleep } from "node:timers/promises";

const header = (name: string) => ({ name, group: null, online: true, freeBytes: 100, lastSeenAt: "2026-11-24T00:00:00.000Z" });
let clock = 0;
const cell = (imageId: string, state: CellView["state"], bytes = 0, at = ++clock): CellView => ({
  imageId,
  state,
  bytes,
  totalBytes: 10,
  error: null,
  at,
});
const delta = (change: Partial<UiDelta>): UiDelta => ({ hypervisors: [], cells: [], artifacts: [], rollouts: [], cleanups: [], ...change });

/** A database stand-in that counts reads and can hold one open until released. */
function database(initial: UiSnapshot) {
  let current = initial;
  let release: (() => void) | null = null;
  const source = {
    reads: 0,
    holdNext: false,
    set: (next: UiSnapshot) => (current = next),
    release: () => release?.(),
    read: async (): Promise<UiSnapshot> => {
      source.reads += 1;
      const answer = structuredClone(current);
      if (source.holdNext) {
        source.holdNext = false;
        await new Promise<void>((resolve) => (release = resolve));
      }
      return answer;
    },
  };
  return source;
}

describe("LiveSnapshot", () => {
  it("reads the database once and then follows deltas", async () => {
    const db = database({ hypervisors: [{ ...header("hv-1"), cells: [cell("img", "pending")] }] });
    const live = new LiveSnapshot(db.read);
    await live.warm();
    live.apply(delta({ cells: [{ hypervisor: "hv-1", ...cell("img", "downloading", 5) }] }));
    live.apply(delta({ hypervisors: [header("hv-2")] }));
    live.apply(delta({ cells: [{ hypervisor: "hv-2", ...cell("img", "cached", 10) }] }));

    const snapshot = await live.get();
    expect(db.reads).toBe(1);
    expect(snapshot.hypervisors.map((row) => [row.name, row.cells.map((c) => `${c.state}:${c.bytes}`)])).toEqual([
      ["hv-1", ["downloading:5"]],
      ["hv-2", ["cached:10"]],
    ]);
    live.apply(delta({ cells: [{ hypervisor: "hv-1", ...cell("img", "absent") }] }));
    expect((await live.get()).hypervisors[0].cells).toEqual([]);
  });

  it("reads again once the copy is too old, keeping deltas that arrived during the read", async () => {
    let now = 0;
    const db = database({ hypervisors: [{ ...header("hv-1"), cells: [] }] });
    const live = new LiveSnapshot(db.read, () => now);
    await live.warm();

    // Something changed in the database without a delta; a later delta arrives mid-read.
    db.set({
      hypervisors: [
        { ...header("hv-1"), cells: [cell("img", "cached", 10)] },
        { ...header("hv-3"), cells: [] },
      ],
    });
    now = 31_000;
    db.holdNext = true;
    const answer = live.get();
    await sleep(10);
    live.apply(delta({ cells: [{ hypervisor: "hv-3", ...cell("img", "downloading", 3) }] }));
    db.release();

    const snapshot = await answer;
    expect(db.reads).toBe(2);
    expect(snapshot.hypervisors.map((row) => [row.name, row.cells.map((c) => c.state)])).toEqual([
      ["hv-1", ["cached"]],
      ["hv-3", ["downloading"]],
    ]);
  });

  it("reports a failed read and tries again on the next request", async () => {
    let fail = true;
    const live = new LiveSnapshot(async () => {
      if (fail) throw new Error("database down");
      return { hypervisors: [] };
    });
    await expect(live.get()).rejects.toThrow("database down");
    fail = false;
    await expect(live.get()).resolves.toEqual({ hypervisors: [] });
  });

  it("keeps the newer of two versions of a cell, whichever arrives last (deltas from two servers)", async () => {
    const db = database({ hypervisors: [{ ...header("hv-1"), cells: [] }] });
    const live = new LiveSnapshot(db.read);
    await live.warm();
    const progress = cell("img", "downloading", 7, 200);
    const dispatch = cell("img", "downloading", 0, 100); // the leader's, relayed after the progress
    live.apply(delta({ cells: [{ hypervisor: "hv-1", ...progress }] }));
    live.apply(delta({ cells: [{ hypervisor: "hv-1", ...dispatch }] }));
    expect((await live.get()).hypervisors[0].cells).toEqual([progress]);
    live.apply(delta({ cells: [{ hypervisor: "hv-1", ...cell("img", "absent", 0, 50) }] }));
    expect((await live.get()).hypervisors[0].cells).toEqual([progress]);
  });
});
