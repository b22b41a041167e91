// Files in nova's cache dir are opened and replaced without ever following a symlink: whoever
// can plant one there (a tenant's image does not, a compromised neighbour might) must not make
// the agent write outside it, and a base file a VM still uses is never replaced under it.
import fs from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { Writable } from "node:stream";
import { AgentError } from "../agent-error.ts";
import { findUsers } from "../in-use.ts";

const { O_RDWR, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

/**
 * Creates `<name>.part` afresh: a leftover (file or symlink) is unlinked first, which never
 * follows it, then the file is created exclusively and without following a symlink. Opened for
 * reading too, so the format inspector reads the very inode that was written and verified.
 */
export async function openPartFile(partPath: string): Promise<FileHandle> {
  const stale = await fs.promises.lstat(partPath).catch(() => null);
  if (stale?.isDirectory()) throw new AgentError("UNSAFE_PATH", `${partPath} is a directory, not a partial download: remove it`);
  if (stale) await fs.promises.unlink(partPath);
  try {
    return await fs.promises.open(partPath, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ELOOP")
      throw new AgentError("UNSAFE_PATH", `${partPath} reappeared while the agent created it: refused`, { cause: error });
    throw error;
  }
}

/** The download's path still names the file we wrote (nobody swapped it for another). */
export async function assertSameFile(handle: FileHandle, file: string): Promise<void> {
  const [ours, named] = await Promise.all([handle.stat(), fs.promises.lstat(file).catch(() => null)]);
  if (!named?.isFile() || named.ino !== ours.ino || named.dev !== ours.dev) {
    throw new AgentError("UNSAFE_PATH", `${file} was replaced during the download: refused`);
  }
}

/** Nova's name may be replaced only if it is absent, or a regular file no instance disk or process uses. */
export async function assertReplaceable(cacheDir: string, finalPath: string, imageId: string): Promise<void> {
  const existing = await fs.promises.lstat(finalPath).catch(() => null);
  if (!existing) return;
  if (!existing.isFile()) {
    const kind = existing.isSymbolicLink() ? "a symlink" : "not a regular file";
    throw new AgentError("UNSAFE_PATH", `${finalPath} (image ${imageId}) is ${kind}: refused to replace it`);
  }
  const users = await findUsers(cacheDir, finalPath);
  if (users.length > 0) {
    throw new AgentError("IN_USE", `image ${imageId} is already cached and in use (${users.join("; ")}): the base file was left as it is`);
  }
}

/**
 * A sink writing into an open file, leaving it open (the inspector reads it next). fs write
 * streams on a shared descriptor close it on error, or keep a FileHandle referenced forever.
 */
export function writeInto(handle: FileHandle): Writable {
  return new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _encoding, done) {
      writeAll(handle, chunk).then(() => done(), done);
    },
  });
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  for (let written = 0; written < chunk.length; ) written += (await handle.write(chunk, written, chunk.length - written)).bytesWritten;
}
