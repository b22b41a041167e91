// Is a base file still needed? Nova's instance disks are qcow2 overlays whose backing file is
// the base image (instances/<uuid>/disk → _base/<sha1>); a running VM also holds it open.
import fs from "node:fs";
import path from "node:path";

const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"

/** The backing file a qcow2 image names in its header, or null (not qcow2, or none). */
export async function qcow2BackingFile(file: string): Promise<string | null> {
  // No symlink, no FIFO or device: opening one of those could read elsewhere or block the agent.
  const handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK).catch(() => null);
  if (!handle) return null;
  try {
    if (!(await handle.stat()).isFile()) return null;
    const header = Buffer.alloc(20);
    const { bytesRead } = await handle.read(header, 0, 20, 0);
    if (bytesRead < 20 || header.readUInt32BE(0) !== QCOW2_MAGIC) return null;
    const offset = Number(header.readBigUInt64BE(8));
    const size = header.readUInt32BE(16);
    if (offset === 0 || size === 0 || size > 4096) return null;
    const name = Buffer.alloc(size);
    await handle.read(name, 0, size, offset);
    return name.toString("utf8");
  } finally {
    await handle.close();
  }
}

/** Who still uses `baseFile`: instance disks backed by it, and processes holding it open. */
export async function findUsers(cacheDir: string, baseFile: string): Promise<string[]> {
  const target = await fs.promises.realpath(baseFile).catch(() => path.resolve(baseFile));
  const users: string[] = [];
  const instancesDir = path.dirname(path.resolve(cacheDir));
  for (const entry of await fs.promises.readdir(instancesDir, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isDirectory() || path.join(instancesDir, entry.name) === path.resolve(cacheDir)) continue;
    const disk = path.join(instancesDir, entry.name, "disk");
    const backing = await qcow2BackingFile(disk);
    if (!backing) continue;
    const resolved = path.resolve(path.dirname(disk), backing);
    if (resolved === target || (await fs.promises.realpath(resolved).catch(() => null)) === target) users.push(`instance disk ${disk}`);
  }
  users.push(...(await openHandles(target)));
  return users;
}

async function openHandles(target: string): Promise<string[]> {
  const holders: string[] = [];
  for (const pid of await fs.promises.readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const fds = await fs.promises.readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await fs.promises.readlink(`/proc/${pid}/fd/${fd}`).catch(() => null);
      if (link === target) {
        const command = (await fs.promises.readFile(`/proc/${pid}/comm`, "utf8").catch(() => "?")).trim();
        holders.push(`process ${pid} (${command})`);
        break;
      }
    }
  }
  return holders;
}
