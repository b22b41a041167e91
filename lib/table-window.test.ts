import { describe, expect, it } from "vitest";
import { rowWindow } from "./table-window.ts";

describe("rowWindow", () => {
  it("renders the rows in view plus the overscan, and sizes the rest", () => {
    const window = rowWindow({ count: 50_000, rowHeight: 30, scrollTop: 30_000, viewportHeight: 600, overscan: 5 });
    expect(window).toEqual({ first: 995, end: 1026, before: 995 * 30, after: (50_000 - 1026) * 30 });
    expect(window.before + (window.end - window.first) * 30 + window.after).toBe(50_000 * 30);
  });

  it("starts at the top and stops at the last row", () => {
    expect(rowWindow({ count: 100, rowHeight: 30, scrollTop: 0, viewportHeight: 300, overscan: 5 })).toMatchObject({ first: 0, end: 16 });
    const bottom = rowWindow({ count: 100, rowHeight: 30, scrollTop: 100 * 30 - 300, viewportHeight: 300, overscan: 5 });
    expect(bottom).toMatchObject({ first: 85, end: 100, after: 0 });
  });

  it("counts the header's height before the first row, and copes with a filter that left fewer rows than the offset", () => {
    expect(rowWindow({ count: 1000, rowHeight: 30, scrollTop: 40, viewportHeight: 300, offset: 40, overscan: 0 }).first).toBe(0);
    expect(rowWindow({ count: 3, rowHeight: 30, scrollTop: 9000, viewportHeight: 300, overscan: 5 })).toEqual({
      first: 3,
      end: 3,
      before: 90,
      after: 0,
    });
    expect(rowWindow({ count: 0, rowHeight: 30, scrollTop: 0, viewportHeight: 0 })).toEqual({ first: 0, end: 0, before: 0, after: 0 });
  });
});
