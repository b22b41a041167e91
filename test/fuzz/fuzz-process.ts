// Starts test/fuzz/fuzz-server.ts as a child process and watches it: its URL, its RSS (from
// /proc), the error lines it logs, and whether it has died.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { processUsage } from "../support/process-usage.ts";

export type FuzzServer = {
  url: string;
  pid: number;
  process: ChildProcess;
  /** Lines the server logged at level error or above (pino JSON), newest last. */
  errorLines: string[];
  rssMiB(): number | null;
  output(): string;
  stop(): Promise<void>;
};

const ROOT = path.resolve(import.meta.dirname, "../..");

export async function startFuzzServer(vars: Record<string, string>, startTimeoutMs = 120_000): Promise<FuzzServer> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/fuzz/fuzz-server.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...vars },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let pending = "";
  const errorLines: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`fuzz server did not start within ${startTimeoutMs} ms:\n${output.slice(-3000)}`)),
      startTimeoutMs,
    );
    child.stdout!.on("data", (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (output.length < 1_000_000) output += `${line}\n`;
        const started = /^FUZZ_SERVER_URL (\S+)/.exec(line);
        if (started) {
          clearTimeout(timer);
          resolve(started[1]);
        } else if (/"level":(50|60)/.test(line)) errorLines.push(line.slice(0, 2000));
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      if (output.length < 1_000_000) output += chunk.toString("utf8");
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`fuzz server exited (${code ?? signal}) before listening:\n${output.slice(-3000)}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    process: child,
    errorLines,
    rssMiB: () => processUsage(String(child.pid))?.rssMiB ?? null,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
