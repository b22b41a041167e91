// Tampered sealed artifacts cached in a real Squid: a flipped byte, a cut tail (mid-chunk and at a
// chunk boundary) and two swapped chunks are each caught (DECRYPT_FAILED), nothing is placed
// under nova's name and no .part is left; the cached copy fails again, and the retry that asks
// Squid for a fresh copy (refreshCache, as the server sends after a data error) lands verified.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { placeImage } from "../agent/download/place-image.ts";
import { DEFAULT_CHUNK_BYTES } from "../protocol/sealed-stream.ts";
import { sealedArtifact } from "./support/artifact-origin.ts";
import { shouldSkipSquidTests, startSquid, type RunningSquid } from "./support/squid.ts";
import { startTamperingOrigin, type Tamper, type TamperingOrigin } from "./support/tampering-origin.ts";

describe.skipIf(shouldSkipSquidTests("sealed tamper"))("tampered sealed artifacts in a Squid cache", () => {
  let origin: TamperingOrigin;
  let proxy: RunningSquid;
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-tamper-"));
  beforeAll(async () => {
    origin = await startTamperingOrigin();
    proxy = await startSquid({ name: "tamper" });
  });
  afterAll(async () => {
    await proxy?.stop();
    await origin?.close();
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  it.each<Tamper>(["flip", "truncate-mid-chunk", "drop-final-chunk", "swap-chunks"])(
    "catches %s and recovers with a fresh copy",
    async (tamper) => {
      const data = crypto.randomBytes(DEFAULT_CHUNK_BYTES * 5 + 4321);
      const { sealed, key } = await sealedArtifact(data);
      const served = origin.serve(sealed, DEFAULT_CHUNK_BYTES, tamper);
      const imageId = crypto.randomUUID();
      const place = (refreshCache: boolean) =>
        placeImage({
          imageId,
          artifactUrl: served.url,
          hash: { algo: "sha512", value: crypto.createHash("sha512").update(data).digest("hex") },
          cacheDir,
          proxies: [proxy.url],
          imageSize: data.length,
          sealedKey: key.toString("base64"),
          refreshCache,
        });
      await expect(place(false)).rejects.toMatchObject({ code: "DECRYPT_FAILED" });
      expect(fs.readdirSync(cacheDir)).toEqual([]); // neither nova's name nor a .part
      served.heal();
      // Squid still holds the altered copy: served again without asking the origin, caught again.
      await expect(place(false)).rejects.toMatchObject({ code: "DECRYPT_FAILED" });
      expect(served.requests()).toBe(1);
      expect(fs.readdirSync(cacheDir)).toEqual([]);
      const placed = await place(true);
      expect(served.requests()).toBe(2);
      expect(fs.readFileSync(placed.path).equals(data)).toBe(true);
      fs.rmSync(placed.path);
    },
  );
});
