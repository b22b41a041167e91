// The agent contract refuses what would break a write or a lookup downstream (findings 4 and 10):
// rollout ids that are not UUIDs (a NUL in one failed every node's progress write), stored text
// with NUL or lone surrogates, base file names that are not sha1 hex, inventories over the cap.
import { describe, expect, it } from "vitest";
import {
  activeDownload,
  downloadFinished,
  downloadProgress,
  imageAbort,
  imagePrecache,
  inventoryReported,
  MAX_INVENTORY_FILES,
} from "./events.ts";

const rolloutId = "0b7c4a2e-9f1d-4c3b-8a6e-2d5f7e9a1b3c";

describe("agent event schemas", () => {
  it.each([
    ["download:progress", downloadProgress, { imageId: "img", bytes: 1, totalBytes: null }],
    [
      "download:finished",
      downloadFinished,
      { resultId: "9d2c6f1e-4b7a-4e3d-9c1b-8a5f2e7d6c4b", imageId: "img", ok: true, bytes: 1, seconds: 1 },
    ],
    ["active download", activeDownload, { imageId: "img", bytes: 1 }],
    ["image:abort", imageAbort, { imageId: "img" }],
    [
      "image:precache",
      imagePrecache,
      {
        imageId: "img",
        artifactUrl: "http://o/a.gz",
        codec: "gzip",
        compressedSize: 1,
        imageSize: 1,
        hash: { algo: "sha512", value: "ab" },
      },
    ],
  ] as const)("%s takes a UUID rollout id and nothing else", (_event, schema, rest) => {
    expect(schema.safeParse({ ...rest, rolloutId }).success).toBe(true);
    for (const bad of [`${rolloutId}\u0000`, "r1", "", "\\'; --", rolloutId.toUpperCase().replace(/-/g, "")]) {
      expect(schema.safeParse({ ...rest, rolloutId: bad }).success).toBe(false);
    }
  });

  /** A failed download's result carrying `error`. */
  const failed = (error: { code: string; message: string }) => ({
    resultId: "9d2c6f1e-4b7a-4e3d-9c1b-8a5f2e7d6c4b",
    rolloutId,
    imageId: "img",
    ok: false,
    bytes: 0,
    seconds: 0,
    error,
  });

  it("refuses NUL and lone surrogates in a stored error message", () => {
    const result = (message: string) => failed({ code: "WRITE_FAILED", message });
    expect(downloadFinished.safeParse(result("disk full 😀")).success).toBe(true);
    expect(downloadFinished.safeParse(result("a\u0000b")).success).toBe(false);
    expect(downloadFinished.safeParse(result("a\ud800b")).success).toBe(false);
  });

  it("keeps a newer agent's unknown error code as FAILED (not retried), and refuses junk codes", () => {
    const result = (code: string) => downloadFinished.safeParse(failed({ code, message: "m" }));
    expect(result("HASH_MISMATCH").data?.error).toEqual({ code: "HASH_MISMATCH", message: "m" });
    expect(result("SOMETHING_NEW").data?.error).toEqual({ code: "FAILED", message: "SOMETHING_NEW: m" });
    expect(result("lower case").success).toBe(false);
    expect(result("X".repeat(65)).success).toBe(false);
  });

  it("takes sha1 base file names only, and at most MAX_INVENTORY_FILES of them", () => {
    const file = (fileName: string) => ({ fileName, bytes: 1, mtimeMs: 1 });
    expect(inventoryReported.safeParse({ freeBytes: 1, inventory: [file("a".repeat(40))] }).success).toBe(true);
    expect(inventoryReported.safeParse({ freeBytes: 1, inventory: [file("../etc/passwd")] }).success).toBe(false);
    expect(
      inventoryReported.safeParse({ freeBytes: 1, inventory: Array.from({ length: MAX_INVENTORY_FILES + 1 }, () => file("a".repeat(40))) })
        .success,
    ).toBe(false);
  });
});
