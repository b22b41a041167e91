// The agent's files in nova's cache dir: a symlink planted there is never followed (writing,
// touching, listing or deleting), and a base file a VM uses is never replaced under it.
import { execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseFilePath, partFilePath } from "../agent/download/cache-paths.ts";
import { baseFileName } from "../protocol/nova-files.ts";
import { placeImage } from "../agent/download/place-image.ts";
import { removeStaleParts, scanCache } from "../agent/inventory.ts";
import { touchPinned } from "../agent/keep-fresh.ts";
import { startGzipOrigin, type GzipOrigin } from "./support/gzip-origin.ts";
import { requireQemu } from "./support/hostile-images.ts";

describe("the agent never follows a symlink in the cache dir", () => {
  let origin: GzipOrigin;
  let root: string;
  beforeAll(async () => {
    origin = await startGzipOrigin();
    root = fs.mkdtempSync(path.join(os.tmpdir(), "precache-files-"));
  });
  afterAll(async () => {
    await origin.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** An instances dir as nova lays it out: <root>/<n>/_base is the cache dir. */
  function layout() {
    const instances = fs.mkdtempSync(path.join(root, "instances-"));
    const cacheDir = path.join(instances, "_base");
    fs.mkdirSync(cacheDir);
    const outside = path.join(root, `outside-${crypto.randomUUID()}`);
    fs.writeFileSync(outside, "a file outside the cache dir, e.g. /etc/nova/nova.conf\n");
    return { instances, cacheDir, outside };
  }

  function place(cacheDir: string, imageId: string, data: Buffer) {
    return placeImage({
      ...origin.direct(data),
      imageId,
      cacheDir,
      imageSize: data.length,
      diskFormat: "raw",
    });
  }

  it("replaces a symlink planted at <sha1>.part instead of writing through it", async () => {
    const { cacheDir, outside } = layout();
    const imageId = crypto.randomUUID();
    const before = fs.readFileSync(outside);
    fs.symlinkSync(outside, partFilePath(cacheDir, imageId));
    const data = crypto.randomBytes(256 * 1024);
    await place(cacheDir, imageId, data);
    expect(fs.readFileSync(outside).equals(before)).toBe(true);
    expect(fs.readFileSync(baseFilePath(cacheDir, imageId)).equals(data)).toBe(true);
    expect(fs.lstatSync(baseFilePath(cacheDir, imageId)).isFile()).toBe(true);
    expect(fs.readdirSync(cacheDir)).toEqual([baseFileName(imageId)]);
  });

  it("refuses to replace a symlink at nova's name, leaving it and its target alone", async () => {
    const { cacheDir, outside } = layout();
    const imageId = crypto.randomUUID();
    const before = fs.readFileSync(outside);
    fs.symlinkSync(outside, baseFilePath(cacheDir, imageId));
    await expect(place(cacheDir, imageId, crypto.randomBytes(4096))).rejects.toMatchObject({
      code: "UNSAFE_PATH",
      message: expect.stringContaining("symlink"),
    });
    expect(fs.readFileSync(outside).equals(before)).toBe(true);
    expect(fs.readlinkSync(baseFilePath(cacheDir, imageId))).toBe(outside);
    expect(fs.readdirSync(cacheDir)).toEqual([baseFileName(imageId)]);
  });

  it("lists, keeps fresh and clears only regular files", async () => {
    const { cacheDir, outside } = layout();
    const linked = crypto.randomUUID();
    fs.symlinkSync(outside, baseFilePath(cacheDir, linked));
    const old = new Date("2020-01-01T00:00:00Z");
    fs.utimesSync(outside, old, old);
    expect(await scanCache(cacheDir)).toEqual([]);
    expect(await touchPinned(cacheDir, [linked])).toEqual([]);
    expect(fs.statSync(outside).mtime.getTime()).toBe(old.getTime());
    fs.mkdirSync(path.join(cacheDir, ".precache-convert-abc123"));
    fs.writeFileSync(path.join(cacheDir, ".precache-convert-abc123", "x.converted"), "half");
    fs.symlinkSync(outside, partFilePath(cacheDir, crypto.randomUUID()));
    expect((await removeStaleParts(cacheDir)).length).toBe(2);
    expect(fs.existsSync(outside)).toBe(true);
  });

  describe.skipIf(!requireQemu("in-use tests"))("a base file in use", () => {
    it("is not replaced while an instance disk is backed by it", async () => {
      const { instances, cacheDir } = layout();
      const imageId = crypto.randomUUID();
      const original = crypto.randomBytes(64 * 1024);
      fs.writeFileSync(baseFilePath(cacheDir, imageId), original);
      const instance = path.join(instances, crypto.randomUUID());
      fs.mkdirSync(instance);
      execFileSync("qemu-img", [
        "create",
        "-q",
        "-f",
        "qcow2",
        "-b",
        `../_base/${baseFileName(imageId)}`,
        "-F",
        "raw",
        path.join(instance, "disk"),
      ]);
      await expect(place(cacheDir, imageId, crypto.randomBytes(64 * 1024))).rejects.toMatchObject({
        code: "IN_USE",
        message: expect.stringContaining("instance disk"),
      });
      expect(fs.readFileSync(baseFilePath(cacheDir, imageId)).equals(original)).toBe(true);
      expect(fs.readdirSync(cacheDir)).toEqual([baseFileName(imageId)]);
    });
  });

  describe.skipIf(!requireQemu("in-use tests"))("a base file that comes into use during the download", () => {
    it("is not replaced either (checked again just before the rename)", async () => {
      const { instances, cacheDir } = layout();
      const imageId = crypto.randomUUID();
      const original = crypto.randomBytes(64 * 1024);
      fs.writeFileSync(baseFilePath(cacheDir, imageId), original);
      const instance = path.join(instances, crypto.randomUUID());
      const data = crypto.randomBytes(512 * 1024);
      const placing = placeImage({
        ...origin.direct(data),
        imageId,
        cacheDir,
        diskFormat: "raw",
        onProgress() {
          if (fs.existsSync(instance)) return;
          fs.mkdirSync(instance); // nova boots a VM from the old base file meanwhile
          execFileSync("qemu-img", [
            "create",
            "-q",
            "-f",
            "qcow2",
            "-b",
            `../_base/${baseFileName(imageId)}`,
            "-F",
            "raw",
            path.join(instance, "disk"),
          ]);
        },
      });
      await expect(placing).rejects.toMatchObject({ code: "IN_USE" });
      expect(fs.readFileSync(baseFilePath(cacheDir, imageId)).equals(original)).toBe(true);
      expect(fs.readdirSync(cacheDir)).toEqual([baseFileName(imageId)]);
    });
  });

  it("is not replaced while a process holds it open", async () => {
    const { cacheDir } = layout();
    const imageId = crypto.randomUUID();
    const original = crypto.randomBytes(64 * 1024);
    const file = baseFilePath(cacheDir, imageId);
    fs.writeFileSync(file, original);
    const holder = spawn("sh", ["-c", 'exec 3<"$0"; echo open; exec sleep 30', file], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      await new Promise((resolve) => holder.stdout.once("data", resolve));
      await expect(place(cacheDir, imageId, crypto.randomBytes(64 * 1024))).rejects.toMatchObject({
        code: "IN_USE",
        message: expect.stringContaining(`process ${holder.pid}`),
      });
      expect(fs.readFileSync(file).equals(original)).toBe(true);
    } finally {
      holder.kill();
    }
  });
});
