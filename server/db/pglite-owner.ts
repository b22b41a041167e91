// PGlite is a database inside one process: two servers opening the same directory would corrupt
// it. The first takes <dir>/precache-server.pid (host and pid); a second is refused with the way
// to run several servers (Postgres). A file left by a process that is gone is taken over.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AppError } from "../errors.ts";

export function claimPgliteDir(dir: string): () => void {
  const file = path.join(dir, "precache-server.pid");
  const mine = `${os.hostname()} ${process.pid}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, mine, { flag: "wx", mode: 0o600 });
      return () => {
        if (readOwner(file) === mine) fs.rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = readOwner(file);
    const [host, pid] = owner.trim().split(" ");
    const isElsewhere = host !== os.hostname();
    if (isElsewhere || isRunning(Number(pid))) {
      throw new AppError(
        "CONFIG_INVALID",
        `another Precache server (${isElsewhere ? `on ${host}, ` : ""}pid ${pid}) uses the PGlite database in ${dir}: PGlite serves one process. ` +
          `To run several servers, give them all one Postgres (DATABASE_URL)${isElsewhere ? `; if that server is gone, delete ${file}` : ""}.`,
      );
    }
    fs.rmSync(file, { force: true }); // its process is gone
  }
  throw new AppError("CONFIG_INVALID", `could not claim ${file}`);
}

function readOwner(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
