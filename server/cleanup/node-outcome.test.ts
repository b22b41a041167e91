import { describe, expect, it } from "vitest";
import { isGone, nodeOutcomeOf } from "./node-outcome.ts";

describe("nodeOutcomeOf", () => {
  it("a deletion frees its bytes; nothing to delete is absent", () => {
    expect(nodeOutcomeOf({ ok: true, data: { deleted: true, freedBytes: 4096 } })).toEqual({
      outcome: "deleted",
      freedBytes: 4096,
      error: null,
    });
    expect(nodeOutcomeOf({ ok: true, data: { deleted: false, freedBytes: 0 } })).toEqual({ outcome: "absent", freedBytes: 0, error: null });
  });

  it("the hub's OFFLINE and TIMEOUT are their own outcomes; an agent's refusal keeps its reason", () => {
    expect(nodeOutcomeOf({ ok: false, error: { code: "OFFLINE", message: "hypervisor hv-1 is not connected" } })).toEqual({
      outcome: "offline",
      freedBytes: 0,
      error: "OFFLINE: hypervisor hv-1 is not connected",
    });
    expect(nodeOutcomeOf({ ok: false, error: { code: "TIMEOUT", message: "no answer" } }).outcome).toBe("timeout");
    expect(nodeOutcomeOf({ ok: false, error: { code: "IN_USE", message: "instance disk /x/disk is backed by it" } })).toEqual({
      outcome: "refused",
      freedBytes: 0,
      error: "IN_USE: instance disk /x/disk is backed by it",
    });
  });

  it("a newer agent's unknown code is kept in the reason", () => {
    expect(nodeOutcomeOf({ ok: false, error: { code: "SOMETHING_NEW", message: "later" } }).error).toBe("FAILED: SOMETHING_NEW: later");
  });

  it.each([
    [undefined],
    ["yes"],
    [{ ok: true }],
    [{ ok: true, data: { deleted: true, freedBytes: -1 } }],
    [{ ok: true, data: { deleted: "yes", freedBytes: 1 } }],
    [{ ok: false, error: { code: "IN_USE", message: "a\u0000b" } }],
  ])("a malformed answer %j is refused, never stored as it came", (answer) => {
    expect(nodeOutcomeOf(answer)).toMatchObject({ outcome: "refused", freedBytes: 0, error: expect.stringMatching(/^INVALID_RESULT/) });
  });

  it("only deleted and absent leave the node without the image", () => {
    expect(["deleted", "absent", "refused", "offline", "timeout", "interrupted", "pending"].filter((o) => isGone(o as never))).toEqual([
      "deleted",
      "absent",
    ]);
  });
});
