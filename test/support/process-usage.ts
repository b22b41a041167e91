// CPU and memory of the server process under test, read from /proc. `npm start` runs
// scripts/start.mjs → node with tsx's loader → server.ts; the figures that matter are the last one's.
import { execFileSync } from "node:child_process";
import fs from "node:fs";

export type ProcessUsage = { cpuSeconds: number; rssMiB: number };

export function childrenOf(pid: string): string[] {
  try {
    return execFileSync("pgrep", ["-P", pid]).toString().trim().split("\n").filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

/** Every process below `pid`, deepest first. */
export function descendants(pid: string): string[] {
  return childrenOf(pid).flatMap((child) => [...descendants(child), child]);
}

/** The process running server.ts under tsx's loader, below the `npm start` process `startPid`. */
export function serverProcessPid(startPid: number): string | null {
  const queue = [String(startPid)];
  while (queue.length) {
    const next = queue.shift()!;
    const command = readOrNull(`/proc/${next}/cmdline`);
    if (command?.includes("loader.mjs") && command.includes("server.ts")) return next;
    queue.push(...childrenOf(next));
  }
  return null;
}

export function processUsage(pid: string): ProcessUsage | null {
  const stat = readOrNull(`/proc/${pid}/stat`)?.split(") ")[1]?.split(" ");
  if (!stat) return null;
  const ticks = Number(stat[11]) + Number(stat[12]);
  return { cpuSeconds: ticks / 100, rssMiB: Math.round((Number(stat[21]) * 4096) / 2 ** 20) };
}

function readOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null; // the process is gone
  }
}
