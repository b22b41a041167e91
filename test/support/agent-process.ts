// A real agent as its own process (`node --import tsx agent/cli.ts ...`), so a test can SIGKILL it
// mid-download and start it again on the same cache dir and state dir.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AGENT_TOKEN } from "./test-server.ts";

export type AgentProcess = {
  name: string;
  cacheDir: string;
  /** Output of every process started for this agent (pino JSON lines), capped. */
  output(): string;
  isRunning(): boolean;
  kill(): Promise<void>;
  /** Starts the agent again on the same cache dir; `token: null` starts it without --token. */
  restart(options?: { token?: string | null }): void;
  stop(): Promise<void>;
};

const ROOT = path.resolve(import.meta.dirname, "../..");
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export function startAgentProcess(options: {
  server: string;
  name: string;
  proxies: string[];
  root?: string;
  token?: string | null;
}): AgentProcess {
  // The cache dir sits in a temp dir of its own, so the state dir beside it goes with it.
  const root = options.root ?? fs.mkdtempSync(path.join(os.tmpdir(), `precache-${options.name}-`));
  const cacheDir = path.join(root, options.name, "_base");
  let output = "";
  let child: ChildProcess;
  const launch = (token: string | null) => {
    const args = ["--import", "tsx", "agent/cli.ts", "--server", options.server, "--name", options.name, "--cache-dir", cacheDir];
    if (token) args.push("--token", token);
    if (options.proxies.length) args.push("--proxy", options.proxies.join(","));
    else args.push("--allow-direct");
    // PRECACHE_AGENT_TOKEN is cleared so that "started without --token" means without any token.
    const env = { ...process.env, LOG_LEVEL: "info", PRECACHE_AGENT_TOKEN: "" };
    child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    live.add(child);
    child.once("exit", () => live.delete(child));
    const append = (chunk: Buffer) => (output = (output + chunk.toString("utf8")).slice(-1_000_000));
    child.stdout!.on("data", append);
    child.stderr!.on("data", append);
  };
  const exited = () =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => child.once("exit", () => resolve()));
  launch(options.token === undefined ? AGENT_TOKEN : options.token);
  return {
    name: options.name,
    cacheDir,
    output: () => output,
    isRunning: () => child.exitCode === null && child.signalCode === null,
    async kill() {
      const done = exited();
      child.kill("SIGKILL");
      await done;
    },
    restart: (restartOptions = {}) => launch(restartOptions.token === undefined ? AGENT_TOKEN : restartOptions.token),
    async stop() {
      const done = exited();
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await done;
      clearTimeout(timer);
      if (!options.root) fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
