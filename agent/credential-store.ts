// The agent's own credential, issued by the server at enrolment. Kept in a state file (0600) in a
// state dir (0700) derived from the cache dir, so agents with different cache dirs on one machine
// never share or overwrite each other's credential. Written durably before it is relied on.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fsyncPath } from "../shared/files.ts";

const STATE_DIR_PREFIX = ".precache-";
const NO_FOLLOW = fs.constants.O_NOFOLLOW;

export type StoredCredential = { name: string; server: string; credential: string; enrolledAt: string };

/**
 * `.precache-<cache dir name>` beside the cache dir (`/var/lib/nova/instances/.precache-_base`):
 * one per cache dir, and the cache dir itself keeps nothing but what nova looks for.
 */
export function defaultStateDir(cacheDir: string): string {
  const resolved = path.resolve(cacheDir);
  return path.join(path.dirname(resolved), STATE_DIR_PREFIX + path.basename(resolved));
}

export function credentialFile(stateDir: string, name: string): string {
  return path.join(stateDir, `credential-${name}.json`);
}

/** Creates the state dir 0700, tightening an existing one; refuses a symlink planted in its place. */
export async function prepareStateDir(stateDir: string): Promise<void> {
  await fs.promises.mkdir(stateDir, { recursive: true, mode: 0o700 });
  const stat = await fs.promises.lstat(stateDir);
  if (!stat.isDirectory()) throw new Error(`state dir ${stateDir} is not a directory (a symlink?): refusing to keep a credential there`);
  if ((stat.mode & 0o777) !== 0o700) await fs.promises.chmod(stateDir, 0o700);
}

/** The stored credential for `name`, or null when there is none (or it belongs to another name). */
export function readCredentialSync(stateDir: string, name: string): StoredCredential | null {
  const file = credentialFile(stateDir, name);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | NO_FOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new Error(`credential file ${file} is unreadable (${(error as Error).message}): a symlink is never followed`);
  }
  try {
    if ((fs.fstatSync(fd).mode & 0o077) !== 0) fs.fchmodSync(fd, 0o600);
    const stored = JSON.parse(fs.readFileSync(fd, "utf8")) as Partial<StoredCredential>;
    if (stored.name !== name || typeof stored.credential !== "string" || !stored.credential) return null;
    return stored as StoredCredential;
  } catch (error) {
    throw new Error(`credential file ${file} is unreadable (${(error as Error).message}): remove it and have an admin reset ${name}`);
  } finally {
    fs.closeSync(fd);
  }
}

/** temp file (0600, exclusive, no symlink) → fsync → rename → fsync the dir: whole or absent after a crash. */
export async function saveCredential(stateDir: string, stored: StoredCredential): Promise<void> {
  const file = credentialFile(stateDir, stored.name);
  const temp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | NO_FOLLOW;
  const handle = await fs.promises.open(temp, flags, 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(stored, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.promises.rename(temp, file);
  } catch (error) {
    await fs.promises.rm(temp, { force: true });
    throw error;
  }
  await fsyncPath(stateDir);
}
