// One server per PGlite directory: a second is refused with the way to run several (Postgres);
// a file left by a dead process is taken over; one from another host is not.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { claimPgliteDir } from "./pglite-owner.ts";

const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-pglite-owner-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe("claimPgliteDir", () => {
  it("refuses a second server while the first runs, and names Postgres as the way to run several", () => {
    const dir = tempDir();
    const release = claimPgliteDir(dir);
    expect(() => claimPgliteDir(dir)).toThrow(/uses the PGlite database.*DATABASE_URL/);
    release();
    expect(fs.existsSync(path.join(dir, "precache-server.pid"))).toBe(false);
    claimPgliteDir(dir)();
  });

  it("takes over the file of a process that is gone", () => {
    const dir = tempDir();
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
    fs.writeFileSync(path.join(dir, "precache-server.pid"), `${os.hostname()} ${dead}\n`);
    const release = claimPgliteDir(dir);
    expect(fs.readFileSync(path.join(dir, "precache-server.pid"), "utf8")).toBe(`${os.hostname()} ${process.pid}\n`);
    release();
  });

  it("does not take over a file written on another host (its pid means nothing here)", () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "precache-server.pid"), "some-other-host 4242\n");
    expect(() => claimPgliteDir(dir)).toThrow(/on some-other-host, pid 4242.*delete/);
  });
});
