import { describe, expect, it } from "vitest";
import { chunksOf, findInChunks } from "./in-chunks.ts";

describe("chunksOf / findInChunks", () => {
  it("splits into chunks of at most the size, in order, nothing lost", async () => {
    const items = Array.from({ length: 12_345 }, (_, index) => index);
    const chunks = chunksOf(items);
    expect(chunks.map((chunk) => chunk.length)).toEqual([5000, 5000, 2345]);
    expect(chunks.flat()).toEqual(items);
    expect(chunksOf([])).toEqual([]);
    const seen: number[] = [];
    const rows = await findInChunks(items, async (chunk) => (seen.push(chunk.length), chunk.filter((n) => n % 1000 === 0)), 4000);
    expect(seen).toEqual([4000, 4000, 4000, 345]);
    expect(rows).toHaveLength(13);
  });
});
