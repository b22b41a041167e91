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
