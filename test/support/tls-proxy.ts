// A real TLS terminator in front of a test server: a private CA and a server certificate made
// with openssl, and haproxy on 127.0.0.1 with its own config and pid file.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const HAPROXY_BIN = "/usr/sbin/haproxy";

/** Skip only when haproxy or openssl is missing outside CI (with the reason printed); under CI=true the suite runs and fails. */
export function shouldSkipTlsTests(suite: string): boolean {
  const missing = [HAPROXY_BIN, "/usr/bin/openssl"].filter((bin) => !fs.existsSync(bin));
  if (!missing.length || process.env.CI === "true" || process.env.CI === "1") return false;
  console.warn(`skipping ${suite}: ${missing.join(", ")} not found (apt-get install -y haproxy openssl; under CI=true this fails instead)`);
  return true;
}

export type TlsProxy = { url: string; caFile: string; dir: string; stop(): Promise<void> };

export async function startTlsProxy(backendUrl: string): Promise<TlsProxy> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-tls-"));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=Precache test CA",
    "-keyout",
    file("ca.key"),
    "-out",
    file("ca.pem"),
  );
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", file("server.key"), "-out", file("server.csr"));
  fs.writeFileSync(file("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(
    "x509",
    "-req",
    "-in",
    file("server.csr"),
    "-CA",
    file("ca.pem"),
    "-CAkey",
    file("ca.key"),
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    file("san.ext"),
    "-out",
    file("server.crt"),
  );
  fs.writeFileSync(file("server.pem"), fs.readFileSync(file("server.crt"), "utf8") + fs.readFileSync(file("server.key"), "utf8"), {
    mode: 0o600,
  });
  const port = await freePort();
  const backend = new URL(backendUrl);
  fs.writeFileSync(
    file("haproxy.cfg"),
    `global
  pidfile ${file("haproxy.pid")}
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout tunnel 1h
frontend tls
  bind 127.0.0.1:${port} ssl crt ${file("server.pem")}
  default_backend precache
backend precache
  server precache ${backend.hostname}:${backend.port}
`,
  );
  const child: ChildProcess = spawn(HAPROXY_BIN, ["-f", file("haproxy.cfg"), "-db"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk) => void (stderr += chunk));
  await waitForPort(port, () => (child.exitCode !== null ? `haproxy exited: ${stderr}` : null));
  return {
    url: `https://127.0.0.1:${port}`,
    caFile: file("ca.pem"),
    dir,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise((resolve) => child.once("exit", resolve));
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });
}

async function waitForPort(port: number, failed: () => string | null): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const problem = failed();
    if (problem) throw new Error(problem);
    const isOpen = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => resolve(!!socket.end()));
      socket.once("error", () => resolve(false));
    });
    if (isOpen) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`haproxy did not listen on 127.0.0.1:${port} within 10 s`);
}
