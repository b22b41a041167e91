// Filesystem helpers both the agent (placing images, its outbox and credential) and the server
// (publishing artifacts) rely on for durability and space checks. Kept here, not under agent/ or
// server/, so neither side reaches into the other's internals.
import fs from "node:fs";

/** fsync a file or directory by path (fsync flushes the inode, whichever descriptor asks). */
export async function fsyncPath(target: string): Promise<void> {
  const handle = await fs.promises.open(target, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Bytes an unprivileged writer can still use on the filesystem holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const stats = await fs.promises.statfs(dir);
  return Number(stats.bavail) * Number(stats.bsize);
}
