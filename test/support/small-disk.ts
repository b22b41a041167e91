// A small tmpfs, so "disk full" is a real ENOSPC. Needs root (CI is root); skips elsewhere with
// the reason printed, and fails under CI=true.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export function mountSmallDisk(megabytes: number): string | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-full-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${megabytes}m`, "tmpfs", dir], { stdio: "pipe" });
    return dir;
  } catch (error) {
    if (process.env.CI) throw new Error(`cannot mount a tmpfs for the disk-full tests: ${(error as Error).message}`);
    console.warn(`skipping disk-full tests: cannot mount tmpfs (${(error as Error).message.split("\n")[0]})`);
    return null;
  }
}

export function unmount(dir: string | null): void {
  if (!dir) return;
  execFileSync("umount", [dir]);
  fs.rmSync(dir, { recursive: true, force: true });
}
