// Fail points: named places where a test can freeze this server (SIGSTOP) to kill it at exactly
// that moment, e.g. between claiming targets and sending their commands. Armed only when
// PRECACHE_FAIL_POINT_FILE is set; a point fires when that file names it, and the first process
// to reach it takes the file (renamed to `<file>.<pid>`, which the test waits for), so among
// several servers sharing one file exactly one freezes. Unarmed, a point costs one comparison.
import fs from "node:fs";

export const FAIL_POINTS = ["dispatch:claimed", "dispatch:acked"] as const;
export type FailPointName = (typeof FAIL_POINTS)[number];

let armedFile: string | null = null;

export function armFailPoints(file: string | undefined): void {
  armedFile = file ?? null;
}

export async function failPoint(name: FailPointName): Promise<void> {
  if (!armedFile) return;
  const named = await fs.promises.readFile(armedFile, "utf8").catch(() => "");
  if (named.trim() !== name) return;
  // Only one process takes it: the rename fails for every other.
  const taken = await fs.promises.rename(armedFile, `${armedFile}.${process.pid}`).then(
    () => true,
    () => false,
  );
  if (taken) process.kill(process.pid, "SIGSTOP");
}
