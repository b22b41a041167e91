// Shared bits for benchmarks: machine description, timing, inputs generated once and reused.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { imageLikeStream } from "../server/images/image-like-data.ts";

export const BENCH_DIR = process.env.PRECACHE_BENCH_DIR ?? path.join(os.tmpdir(), "precache-bench");

export function machine(): string {
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

/** This process's limit on open files (inherited by the servers it starts): one per agent socket. */
export function openFileLimit(): number {
  const limits = fs.existsSync("/proc/self/limits") ? fs.readFileSync("/proc/self/limits", "utf8") : "";
  return Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1] ?? Number.POSITIVE_INFINITY);
}

/** An image-like input file (zero runs, random and text-ish blocks; gzip -6 ≈ 3:1), made once. */
export async function imageInput(bytes: number, seed = 11, options: { hasRandomBlocks?: boolean } = {}): Promise<string> {
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const variant = options.hasRandomBlocks === false ? "-compressible" : "";
  const file = path.join(BENCH_DIR, `image-${bytes}-${seed}${variant}.raw`);
  if (fs.existsSync(file) && fs.statSync(file).size === bytes) return file;
  await pipeline(imageLikeStream(bytes, seed, options), fs.createWriteStream(`${file}.tmp`));
  fs.renameSync(`${file}.tmp`, file);
  return file;
}

export async function timed<T>(run: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { seconds: (performance.now() - started) / 1000, value };
}

/**
 * timed(), also recording this process's CPU-seconds (user + system, all its threads) into
 * `cpuSeconds`: what a pipeline costs, which a busy machine blurs far less than wall time.
 */
export async function cpuTimed<T>(cpuSeconds: number[], run: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const before = process.cpuUsage();
  const result = await timed(run);
  const used = process.cpuUsage(before);
  cpuSeconds.push((used.user + used.system) / 1e6);
  return result;
}

/** Runs a shell pipeline; rejects with its stderr on failure. */
export function sh(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-o", "pipefail", "-c", script], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${script}: exit ${code}: ${stderr}`))));
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function mibPerSecond(bytes: number, seconds: number): string {
  return `${(bytes / 2 ** 20 / seconds).toFixed(0)} MiB/s`;
}

export function hasCommand(name: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => fs.existsSync(path.join(dir, name)));
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
