// A tenant's qcow2 declares its disk's size in its header, and qemu-img turns it into that many
// bytes of raw: a few hundred KiB whose L2 entries all point at one cluster convert into its whole
// virtual size of data, and a 14 MiB file may declare 1 TiB. The agent reads the virtual size
// before converting and refuses one beyond Glance's virtual_size or the free space less the
// margin; qemu-img convert runs under a file-size limit. Real qemu-img, on a small tmpfs.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentError } from "../agent/agent-error.ts";
import { convertToRaw } from "../agent/download/convert-to-raw.ts";
import { placeImage } from "../agent/download/place-image.ts";
import { freeBytes } from "../shared/files.ts";
import { startGzipOrigin, type GzipOrigin } from "./support/gzip-origin.ts";
import { qcow2Declaring, qcow2OneClusterEverywhere, requireQemu } from "./support/hostile-images.ts";
import { mountSmallDisk, unmount } from "./support/small-disk.ts";

const MiB = 1024 * 1024;
const TiB = 1024 * 1024 * MiB;

const hasQemu = requireQemu("virtual size tests");
const disk = hasQemu ? mountSmallDisk(160) : null;

describe.skipIf(!disk)("the virtual size of an image, bounded before and while converting", () => {
  let origin: GzipOrigin;
  let dir: string;
  beforeAll(async () => {
    origin = await startGzipOrigin();
    dir = fs.mkdtempSync(path.join(disk!, "images-"));
  });
  afterAll(async () => {
    await origin?.close();
    unmount(disk);
  });

  /** Places `data` (qcow2) through the agent's pipeline into a fresh cache dir on the small disk. */
  async function place(data: Buffer, options: { virtualSize: number | null; forceRawImages?: boolean }) {
    const cacheDir = fs.mkdtempSync(path.join(disk!, "cache-"));
    const placing = placeImage({
      ...origin.direct(data),
      imageId: crypto.randomUUID(),
      cacheDir,
      imageSize: data.length,
      diskFormat: "qcow2",
      forceRawImages: options.forceRawImages ?? true,
      virtualSize: options.virtualSize,
    });
    return { placing, cacheDir };
  }

  it("refuses a qcow2 that declares more than Glance's virtual_size, converted or not", async () => {
    const oneTiB = qcow2Declaring(dir, TiB);
    for (const forceRawImages of [true, false]) {
      const { placing, cacheDir } = await place(oneTiB, { virtualSize: 64 * MiB, forceRawImages });
      await expect(placing).rejects.toMatchObject({
        code: "VIRTUAL_SIZE_EXCEEDED",
        message: expect.stringMatching(/declares a virtual size of 1099511627776 bytes, Glance's virtual_size is 67108864/),
      });
      expect(fs.readdirSync(cacheDir)).toEqual([]);
    }
  });

  it("refuses a qcow2 whose L2 entries all point at one cluster when its raw copy cannot fit, before converting", async () => {
    const bomb = qcow2OneClusterEverywhere(dir, 512 * MiB);
    expect(bomb.length).toBeLessThan(MiB);
    for (const virtualSize of [512 * MiB, null]) {
      const freeBefore = await freeBytes(disk!);
      const { placing, cacheDir } = await place(bomb, { virtualSize });
      await expect(placing).rejects.toMatchObject({
        code: "DISK_FULL",
        message: expect.stringMatching(/its raw copy needs up to 536870912 bytes \(its virtual size\)/),
      });
      expect(fs.readdirSync(cacheDir)).toEqual([]);
      expect(await freeBytes(disk!)).toBeGreaterThanOrEqual(freeBefore - MiB);
    }
  });

  it("still converts such an image when Glance says that size and it fits", async () => {
    const bomb = qcow2OneClusterEverywhere(dir, 32 * MiB);
    const { placing, cacheDir } = await place(bomb, { virtualSize: 32 * MiB });
    const placed = await placing;
    expect(placed).toMatchObject({ bytes: 32 * MiB, convertedFrom: "qcow2" });
    expect(fs.readdirSync(cacheDir)).toEqual([path.basename(placed.path)]);
    fs.rmSync(cacheDir, { recursive: true });
  });

  it("stops qemu-img convert at the raw copy's file-size limit, leaving nothing", async () => {
    const file = path.join(dir, "one-cluster.qcow2");
    fs.writeFileSync(file, qcow2OneClusterEverywhere(dir, 64 * MiB));
    const cacheDir = fs.mkdtempSync(path.join(disk!, "cache-"));
    const fd = fs.openSync(file, "r");
    try {
      const converting = convertToRaw({
        sourceFd: fd,
        cacheDir,
        fileName: "x",
        diskFormat: "qcow2",
        imageId: "image-x",
        maxRawBytes: 8 * MiB,
      });
      const error = await converting.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AgentError);
      expect(error).toMatchObject({ code: "CONVERT_TOO_LARGE", message: expect.stringContaining("8388608 bytes") });
    } finally {
      fs.closeSync(fd);
    }
    expect(fs.readdirSync(cacheDir)).toEqual([]);
  });
});
