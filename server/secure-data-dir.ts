// Data at rest: the data dir (database, secrets, artifacts, the local agent's cache) is 0700 and
// nothing in it is group- or world-writable. A chmod pass rather than a process umask: PGlite
// creates its files 0666 whatever the umask, existing data dirs carry old modes, and a umask would
// also change the modes of files the local agent hands to nova. The pass runs at start, after
// the database is open, and at shutdown; between them the 0700 directory keeps others out.
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";

const GROUP_WORLD_WRITE = 0o022;
const OWNER_ONLY_DIR = 0o700;
/** Where open-database.ts keeps PGlite inside the data dir. */
const PGLITE_DIR = "pglite";

export type ModeFixes = { fixed: number; failed: number };

/**
 * `dataDir` and its PGlite dir become 0700 and the tree loses group/world write; an artifact dir outside it loses
 * group/world write too (it may be shared read-only with something else, so it keeps its reads).
 * Symlinks are never followed: a link cannot steer a chmod outside these directories.
 */
export function secureDataDir(dirs: { dataDir: string; artifactDir: string }, log: Logger): ModeFixes {
  const fixes: ModeFixes = { fixed: 0, failed: 0 };
  fs.mkdirSync(dirs.dataDir, { recursive: true, mode: OWNER_ONLY_DIR });
  setMode(dirs.dataDir, OWNER_ONLY_DIR, fixes, log);
  const databaseDir = path.join(dirs.dataDir, PGLITE_DIR);
  if (fs.existsSync(databaseDir)) setMode(databaseDir, OWNER_ONLY_DIR, fixes, log);
  removeGroupWorldWrite(dirs.dataDir, fixes, log);
  if (!isInside(dirs.artifactDir, dirs.dataDir) && fs.existsSync(dirs.artifactDir)) {
    setMode(dirs.artifactDir, currentMode(dirs.artifactDir) & ~GROUP_WORLD_WRITE, fixes, log);
    removeGroupWorldWrite(dirs.artifactDir, fixes, log);
  }
  if (fixes.fixed > 0)
    log.info(
      { dataDir: dirs.dataDir, fixed: fixes.fixed },
      "data dir modes tightened: group/world write removed (PGlite creates its files 0666; a copied data dir may have loose modes)",
    );
  return fixes;
}

/**
 * Writes a file that holds secrets: 0600 whether it is new or was there with looser modes.
 * writeFileSync's mode applies only when it creates the file, so a fresh file is written and
 * renamed over the old one (which also never leaves a half-written secrets file).
 */
export function writeSecretFile(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.rmSync(temp, { force: true });
  fs.writeFileSync(temp, content, { mode: 0o600, flag: "wx" });
  fs.chmodSync(temp, 0o600);
  fs.renameSync(temp, file);
}

function removeGroupWorldWrite(dir: string, fixes: ModeFixes, log: Logger): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    log.warn({ err: error, dir }, "cannot read a data directory to check its modes");
    fixes.failed += 1;
    return;
  }
  for (const entry of entries) {
    if (entry.isSymbolicLink()) continue;
    const entryPath = path.join(dir, entry.name);
    let mode: number;
    try {
      mode = currentMode(entryPath);
    } catch {
      continue; // removed meanwhile (the database rotates its files)
    }
    if (mode & GROUP_WORLD_WRITE) setMode(entryPath, mode & ~GROUP_WORLD_WRITE, fixes, log);
    if (entry.isDirectory()) removeGroupWorldWrite(entryPath, fixes, log);
  }
}

function setMode(target: string, mode: number, fixes: ModeFixes, log: Logger): void {
  try {
    if (currentMode(target) === mode) return;
    fs.chmodSync(target, mode);
    fixes.fixed += 1;
  } catch (error) {
    // Not ours (another user's file) or gone meanwhile: say so, and keep starting.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    fixes.failed += 1;
    log.warn({ err: error, path: target }, "cannot tighten the mode of a data file");
  }
}

function currentMode(target: string): number {
  return fs.lstatSync(target).mode & 0o7777;
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}
