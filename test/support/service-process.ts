// A long-running service under test (uwsgi for Keystone, glance-api) in a process group of its own:
// its last output kept for failure messages, the whole group signalled on stop (the service forks
// workers), and killed if the test process exits first. Its temp dir goes with it.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import fs from "node:fs";

export type ServiceProcess = { child: ChildProcess; output(): string; stop(): Promise<void> };

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) killGroup(child, "SIGKILL");
});

export function spawnService(command: string, args: string[], options: { dir: string; env?: SpawnOptions["env"] }): ServiceProcess {
  let output = "";
  const child = spawn(command, args, { env: options.env ?? process.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  child.stdout!.on("data", (chunk) => (output = (output + chunk).slice(-20_000)));
  child.stderr!.on("data", (chunk) => (output = (output + chunk).slice(-20_000)));
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        killGroup(child, "SIGTERM");
        const timer = setTimeout(() => killGroup(child, "SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      live.delete(child);
      fs.rmSync(options.dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once `url` answers 2xx; fails with the service's last output if it exits or takes too long. */
export async function waitForService(what: string, url: string, service: ServiceProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null)
      throw new Error(`${what} exited with ${service.child.exitCode}:\n${service.output().slice(-3000)}`);
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) }).catch(() => null);
    if (response?.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} did not answer at ${url} within ${timeoutMs / 1000} s:\n${service.output().slice(-3000)}`);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    child.kill(signal);
  }
}
