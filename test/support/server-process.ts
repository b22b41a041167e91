// Starts test/support/server-process-main.ts as a child process on a fixed port and data dir, so
// a test can SIGKILL it, SIGSTOP/SIGCONT it, and start it again where agents expect it.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./production-server.ts";
import { AGENT_TOKEN, API_TOKEN, StopWaiting } from "./test-server.ts";

export type ServerProcess = {
  url: string;
  port: number;
  dataDir: string;
  pid(): number;
  /** Everything the current and earlier processes printed (stdout and stderr), capped. */
  output(): string;
  /**
   * Throws StopWaiting, with the process's output, if it exited without kill() or stop(): a
   * wait on a dead server fails at once instead of timing out. api() checks it before and after.
   */
  assertRunning(): void;
  api<T = any>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** SIGKILL and wait for the exit: a crash, no graceful close, nothing flushed. */
  kill(): Promise<void>;
  /** Starts a new process with the same port, data dir and variables (after kill or stop). */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: a frozen process keeps its sockets open but answers nothing. */
  freeze(): void;
  thaw(): void;
  /** SIGTERM (graceful), SIGKILL after 10 s; removes the data dir unless told to keep it. */
  stop(options?: { keepData?: boolean }): Promise<void>;
};

const ROOT = path.resolve(import.meta.dirname, "../..");
// Processes still running when the test process exits are killed, so none outlives its test.
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export async function startServerProcess(
  options: { vars?: Record<string, string>; dataDir?: string; port?: number; startTimeoutMs?: number } = {},
): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "precache-server-"));
  const vars = {
    PORT: String(port),
    PRECACHE_DATA_DIR: dataDir,
    PRECACHE_API_TOKEN: API_TOKEN,
    PRECACHE_AGENT_TOKEN: AGENT_TOKEN,
    ...options.vars,
  };
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  let child: ChildProcess;
  /** Set by kill() and stop(), cleared by a (re)start: such an exit is the test's own doing. */
  let isExitExpected = false;
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-2_000_000);
  };

  async function launch(): Promise<void> {
    isExitExpected = false;
    child = spawn(process.execPath, ["--import", "tsx", "test/support/server-process-main.ts"], {
      cwd: ROOT,
      env: { ...process.env, ...vars },
      stdio: ["ignore", "pipe", "pipe"],
    });
    live.add(child);
    child.once("exit", () => live.delete(child));
    const started = child;
    await new Promise<void>((resolve, reject) => {
      const timeout = options.startTimeoutMs ?? 60_000;
      const timer = setTimeout(() => reject(new Error(`server did not start within ${timeout} ms:\n${output.slice(-3000)}`)), timeout);
      started.stderr!.on("data", append);
      started.stdout!.on("data", (chunk: Buffer) => {
        append(chunk);
        if (output.includes(`PRECACHE_SERVER_URL ${url}`)) {
          clearTimeout(timer);
          resolve();
        }
      });
      started.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${code ?? signal}) before listening:\n${output.slice(-3000)}`));
      });
    });
    // Each process announces itself once; a restart must wait for its own line, not the last one.
    output = output.replaceAll(`PRECACHE_SERVER_URL ${url}`, `(started) ${url}`);
  }

  const exited = () =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => child.once("exit", () => resolve()));
  function assertRunning(): void {
    if (isExitExpected || (child.exitCode === null && child.signalCode === null)) return;
    throw new StopWaiting(`server process exited (${child.exitCode ?? child.signalCode}):\n${output.slice(-3000)}`);
  }

  /** Gives a dying process a moment to be reaped, so its exit code is known. */
  const exitedWithin = (ms: number) => Promise.race([exited(), sleep(ms)]);
  await launch();
  return {
    url,
    port,
    dataDir,
    pid: () => child.pid!,
    output: () => output,
    assertRunning,
    async api(method, route, body) {
      assertRunning();
      const response = await fetch(url + route, {
        method,
        headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).catch(async (error) => {
        // A refused connection from a process that just died: say so, with its last words.
        await exitedWithin(200);
        assertRunning();
        throw error;
      });
      return { status: response.status, body: await response.json() };
    },
    async kill() {
      isExitExpected = true;
      const done = exited();
      child.kill("SIGCONT"); // a frozen process cannot act on anything else, SIGKILL aside
      child.kill("SIGKILL");
      await done;
    },
    restart: launch,
    freeze: () => void child.kill("SIGSTOP"),
    thaw: () => void child.kill("SIGCONT"),
    async stop(stopOptions = {}) {
      isExitExpected = true;
      const done = exited();
      child.kill("SIGCONT");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await done;
      clearTimeout(timer);
      if (!stopOptions.keepData && !options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
