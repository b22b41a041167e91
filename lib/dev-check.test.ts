// The dashboard's development-time check of what it receives: a malformed delta is reported on
// the console by event name and still handed on as received; production builds skip the check.
import { afterEach, describe, expect, it, vi } from "vitest";
import { checkInDevelopment } from "./dev-check.ts";
import { uiDelta } from "../protocol/ui.ts";

const delta = {
  hypervisors: [],
  cells: [{ hypervisor: "hv-1", imageId: "img", state: "cached", bytes: 1, totalBytes: 1, error: null, at: 1 }],
  artifacts: [],
  rollouts: [{ id: "r1", state: "running" }],
};

describe("checkInDevelopment", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it("passes a delta that matches the protocol without a word", () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    expect(checkInDevelopment(uiDelta, delta, "state:delta")).toBe(delta);
    expect(error).not.toHaveBeenCalled();
  });

  it("names the event and the field of a malformed delta, and hands the delta on unchanged", () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const malformed = { ...delta, rollouts: [{ id: "r1", state: "exploded" }] };
    expect(checkInDevelopment(uiDelta, malformed, "state:delta")).toBe(malformed);
    expect(error).toHaveBeenCalledOnce();
    expect(error.mock.calls[0][0]).toMatch(/^precache: state:delta does not match the protocol: rollouts\.0\.state: /);
  });

  it("skips the check in production builds", () => {
    vi.stubEnv("NODE_ENV", "production");
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    checkInDevelopment(uiDelta, { cells: "not a list" }, "state:delta");
    expect(error).not.toHaveBeenCalled();
  });
});
