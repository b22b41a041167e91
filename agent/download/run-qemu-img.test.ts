// qemu-img runs under prlimit like nova's: a stand-in qemu-img on PATH reports the limits and
// arguments it was started with (prlimit itself is the real one from util-linux).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONVERT_LIMITS, INFO_LIMITS, runQemuImg } from "./run-qemu-img.ts";

const prlimit = spawnSync("sh", ["-c", "command -v prlimit"]).stdout?.toString().trim();
if (!prlimit) {
  if (process.env.CI) throw new Error("CI=true but prlimit (util-linux) is missing");
  console.warn("prlimit tests skipped: prlimit (util-linux) is not installed");
}

describe.skipIf(!prlimit)("qemu-img under resource limits", () => {
  let bin: string;
  let savedPath: string | undefined;
  beforeAll(() => {
    bin = fs.mkdtempSync(path.join(os.tmpdir(), "precache-prlimit-"));
    fs.symlinkSync(prlimit!, path.join(bin, "prlimit"));
    savedPath = process.env.PATH;
  });
  afterAll(() => {
    process.env.PATH = savedPath;
    fs.rmSync(bin, { recursive: true, force: true });
  });

  function withStandIn(script: string) {
    const dir = fs.mkdtempSync(path.join(bin, "standin-"));
    fs.symlinkSync(prlimit!, path.join(dir, "prlimit"));
    fs.writeFileSync(path.join(dir, "qemu-img"), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    process.env.PATH = `${dir}:/bin:/usr/bin`;
  }

  it("limits `info` to 30 CPU seconds and 1 GiB of address space, and `convert` to an hour of CPU", async () => {
    withStandIn('echo "$@"; grep -E "Max (cpu time|address space)" /proc/self/limits');
    const fd = fs.openSync(process.execPath, "r");
    try {
      const info = await runQemuImg(["info", "-f", "qcow2", "/dev/fd/3"], { imageFd: fd, limits: INFO_LIMITS, what: "image x" });
      expect(info).toMatch(/^info -f qcow2 \/dev\/fd\/3/);
      expect(info).toMatch(/Max cpu time\s+30\s+30\s+seconds/);
      expect(info).toMatch(/Max address space\s+1073741824\s+1073741824\s+bytes/);
      const convert = await runQemuImg(["convert"], { imageFd: fd, limits: CONVERT_LIMITS, what: "image x" });
      expect(convert).toMatch(/Max cpu time\s+3600\s+3600\s+seconds/);
    } finally {
      fs.closeSync(fd);
    }
  });

  it("limits the files a conversion writes (RLIMIT_FSIZE), and names the limit when it is reached", async () => {
    withStandIn('grep -E "Max file size" /proc/self/limits');
    const fd = fs.openSync(process.execPath, "r");
    try {
      const limits = { ...CONVERT_LIMITS, fileSizeBytes: 1024 * 1024 };
      expect(await runQemuImg(["convert"], { imageFd: fd, limits, what: "image x" })).toMatch(/Max file size\s+1048576\s+1048576\s+bytes/);
      // A writer that does not ignore SIGXFSZ (qemu-img does, and reports "File too large") is killed by it.
      withStandIn(`exec head -c 2000000 /dev/zero > "${path.join(bin, "out.raw")}"`);
      await expect(runQemuImg(["convert"], { imageFd: fd, limits, what: "image x" })).rejects.toMatchObject({
        code: "CONVERT_TOO_LARGE",
        message: expect.stringContaining("file-size limit of 1048576 bytes"),
      });
    } finally {
      fs.closeSync(fd);
    }
  });

  it("hands qemu-img the inspected file as descriptor 3", async () => {
    withStandIn("cat /dev/fd/3");
    const file = path.join(bin, "image");
    fs.writeFileSync(file, "the inspected bytes");
    const fd = fs.openSync(file, "r");
    try {
      expect(await runQemuImg(["info"], { imageFd: fd, limits: INFO_LIMITS, what: "image x" })).toBe("the inspected bytes");
    } finally {
      fs.closeSync(fd);
    }
  });

  it("says what to install when qemu-img is missing but prlimit is there", async () => {
    process.env.PATH = bin;
    const fd = fs.openSync(process.execPath, "r");
    try {
      await expect(runQemuImg(["info"], { imageFd: fd, limits: INFO_LIMITS, what: "image x" })).rejects.toMatchObject({
        code: "CONVERT_UNAVAILABLE",
        message: expect.stringContaining("qemu-utils"),
      });
    } finally {
      fs.closeSync(fd);
    }
  });
});
