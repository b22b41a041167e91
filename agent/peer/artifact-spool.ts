// Compressed artifacts this agent fetched, kept so that peers of its group can fetch them from
// here instead of from the group's Squid. Written beside the download (`<key>.part`), renamed
// only once the image it decompressed to was verified, so a peer never serves bytes that failed
// verification. Bounded: the oldest entries go first when a new one needs room.
import fs from "node:fs";
import path from "node:path";

const KEY_PATTERN = /^[A-Za-z0-9._-]{1,200}$/;

export type SpoolEntry = { file: string; size: number };
export type SpoolWriter = { write(chunk: Buffer): void; commit(): Promise<SpoolEntry | null>; discard(): Promise<void> };

export class ArtifactSpool {
  constructor(
    readonly dir: string,
    private readonly capBytes: number,
  ) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Partial spools of a previous run are never served: remove them.
    for (const name of fs.readdirSync(dir)) if (name.endsWith(".part")) fs.rmSync(path.join(dir, name), { force: true });
  }

  /** The verified artifact kept under `key`, or null. */
  entry(key: string): SpoolEntry | null {
    if (!KEY_PATTERN.test(key)) return null;
    const file = path.join(this.dir, `${key}.gz`);
    try {
      const stat = fs.lstatSync(file);
      return stat.isFile() ? { file, size: stat.size } : null;
    } catch {
      return null;
    }
  }

  /**
   * A writer that keeps a copy of the bytes as they stream by. Writes are synchronous appends to
   * an fd (the download is paced by the network, not by this copy); a write error, or going over
   * the cap, quietly stops the copy: spooling is a favour to peers, never a reason to fail.
   */
  writer(key: string, expectedBytes: number | null): SpoolWriter {
    const file = path.join(this.dir, `${key}.gz`);
    const part = `${file}.part`;
    let fd: number | null = null;
    let written = 0;
    let isBroken = !KEY_PATTERN.test(key) || (expectedBytes !== null && expectedBytes > this.capBytes);
    if (!isBroken) {
      try {
        this.makeRoom(expectedBytes ?? 0, key);
        fd = fs.openSync(part, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, 0o600);
      } catch {
        isBroken = true;
      }
    }
    const close = () => {
      if (fd !== null) fs.closeSync(fd);
      fd = null;
    };
    return {
      write: (chunk) => {
        if (isBroken || fd === null) return;
        try {
          fs.writeSync(fd, chunk);
          written += chunk.length;
          if (written > this.capBytes) throw new Error("over the spool cap");
        } catch {
          isBroken = true;
          close();
          fs.rmSync(part, { force: true });
        }
      },
      commit: async () => {
        if (isBroken || fd === null) return null;
        close();
        await fs.promises.rename(part, file);
        return { file, size: written };
      },
      discard: async () => {
        close();
        await fs.promises.rm(part, { force: true });
      },
    };
  }

  remove(key: string): void {
    if (KEY_PATTERN.test(key)) fs.rmSync(path.join(this.dir, `${key}.gz`), { force: true });
  }

  /** Bytes held by verified entries. */
  usedBytes(): number {
    return this.entries().reduce((sum, entry) => sum + entry.size, 0);
  }

  private entries(): (SpoolEntry & { key: string; mtimeMs: number })[] {
    return fs
      .readdirSync(this.dir)
      .filter((name) => name.endsWith(".gz"))
      .flatMap((name) => {
        try {
          const stat = fs.statSync(path.join(this.dir, name));
          return [{ key: name.slice(0, -3), file: path.join(this.dir, name), size: stat.size, mtimeMs: stat.mtimeMs }];
        } catch {
          return [];
        }
      });
  }

  /** Removes the oldest entries (never `keep`) until `bytes` more fit under the cap. */
  private makeRoom(bytes: number, keep: string): void {
    const entries = this.entries()
      .filter((entry) => entry.key !== keep)
      .sort((a, b) => a.mtimeMs - b.mtimeMs);
    let used = entries.reduce((sum, entry) => sum + entry.size, 0);
    for (const entry of entries) {
      if (used + bytes <= this.capBytes) break;
      fs.rmSync(entry.file, { force: true });
      used -= entry.size;
    }
  }
}
