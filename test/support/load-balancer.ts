// Real haproxy on 127.0.0.1 in front of several Precache servers, configured from the operator
// documentation's own file (docs/haproxy.cfg), so the documented configuration is the tested one.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { HAPROXY_BIN } from "./tls-proxy.ts";

export const DOCUMENTED_CONFIG = path.resolve(import.meta.dirname, "../../docs/haproxy.cfg");

export type LoadBalancer = { url: string; port: number; stop(): Promise<void>; output(): string };

export async function startLoadBalancer(backends: { name: string; url: string }[], port: number): Promise<LoadBalancer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-haproxy-"));
  const servers = backends.map((backend) => `  server ${backend.name} ${new URL(backend.url).host} check`).join("\n");
  const config = fs
    .readFileSync(DOCUMENTED_CONFIG, "utf8")
    .replace("${PIDFILE}", path.join(dir, "haproxy.pid"))
    .replace("${BIND}", `127.0.0.1:${port}`)
    .replace("${SERVERS}", servers);
  fs.writeFileSync(path.join(dir, "haproxy.cfg"), config);
  const child: ChildProcess = spawn(HAPROXY_BIN, ["-f", path.join(dir, "haproxy.cfg"), "-db"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const append = (chunk: Buffer) => void (output = (output + chunk.toString("utf8")).slice(-200_000));
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  const deadline = Date.now() + 10_000;
  while (!(await isListening(port))) {
    if (child.exitCode !== null) throw new Error(`haproxy exited: ${output}`);
    if (Date.now() > deadline) throw new Error(`haproxy did not listen on ${port}: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await new Promise((resolve) => child.once("exit", resolve));
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => resolve(!!socket.end()));
    socket.once("error", () => resolve(false));
  });
}
