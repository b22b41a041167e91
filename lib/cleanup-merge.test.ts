import { describe, expect, it } from "vitest";
import type { CleanupDetail } from "../protocol/api/cleanup";
import { mergeCleanupDelta } from "./cleanup-merge";

const pending = (name: string) => ({ name, outcome: "pending" as const, freedBytes: 0, error: null, finishedAt: null });

function detail(overrides: Partial<CleanupDetail> = {}): CleanupDetail {
  return {
    id: "c1",
    imageId: "img",
    imageName: "img.raw",
    state: "running",
    createdBy: "admin",
    createdAt: "2026-12-07T10:00:00.000Z",
    finishedAt: null,
    removeArtifact: false,
    purgeProxies: true,
    nodes: 2,
    counts: { pending: 2, deleted: 0, absent: 0, refused: 0, offline: 0, timeout: 0, interrupted: 0 },
    freedBytes: 0,
    artifact: { outcome: "kept", purges: [], error: null },
    hypervisors: [pending("hv-1"), pending("hv-2")],
    hypervisorsInline: true,
    ...overrides,
  };
}

describe("mergeCleanupDelta", () => {
  it("moves a node out of pending, counts it and its freed bytes, once", () => {
    const deleted = { name: "hv-1", outcome: "deleted" as const, freedBytes: 100, error: null, finishedAt: "2026-12-07T10:00:01.000Z" };
    const delta = { id: "c1", imageId: "img", state: "running" as const, nodes: [deleted], artifact: null };
    const once = mergeCleanupDelta(detail(), delta);
    expect(once.counts).toMatchObject({ pending: 1, deleted: 1 });
    expect(once.freedBytes).toBe(100);
    expect(once.hypervisors).toEqual([deleted, pending("hv-2")]);
    expect(mergeCleanupDelta(once, delta)).toEqual(once);
  });

  it("takes the state and a changed artifact step; keeps the artifact when the delta has none", () => {
    const artifact = { outcome: "removed" as const, purges: [{ proxy: "http://squid:3128", status: 200, error: null }], error: null };
    const merged = mergeCleanupDelta(detail(), { id: "c1", imageId: "img", state: "running", nodes: [], artifact });
    expect(merged.artifact).toEqual(artifact);
    expect(mergeCleanupDelta(merged, { id: "c1", imageId: "img", state: "done", nodes: [], artifact: null })).toMatchObject({
      state: "done",
      artifact,
    });
  });

  it("leaves counts alone when the nodes are not all listed, and ignores other cleanups", () => {
    const big = detail({ hypervisors: [], hypervisorsInline: false });
    const node = { name: "hv-9", outcome: "refused" as const, freedBytes: 0, error: "IN_USE: x", finishedAt: null };
    expect(mergeCleanupDelta(big, { id: "c1", imageId: "img", state: "running", nodes: [node], artifact: null }).counts).toEqual(
      big.counts,
    );
    expect(mergeCleanupDelta(big, { id: "c2", imageId: "img", state: "done", nodes: [], artifact: null })).toBe(big);
  });
});
