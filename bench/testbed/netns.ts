// Linux network namespaces for the testbed: every interface, bridge and qdisc lives inside a
// namespace this run created (none in the host's), so deleting the namespaces removes them all.
// Namespaces are named `pctb<pid>-…`: a later run sweeps those whose process is gone, and this
// run removes its own on exit, SIGINT and SIGTERM, whatever state it was in.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";

const PREFIX = "pctb";

export type Endpoint = { ns: string; dev: string; cidr?: string };

export class NetnsLab {
  readonly prefix = `${PREFIX}${process.pid}-`;
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly cleanups: (() => void)[] = [];
  private isTornDown = false;

  constructor() {
    sweepStaleNamespaces();
    const teardownAndExit = (signal: NodeJS.Signals) => {
      this.teardown();
      process.exit(signal === "SIGINT" ? 130 : 143);
    };
    process.once("SIGINT", teardownAndExit);
    process.once("SIGTERM", teardownAndExit);
    process.once("exit", () => this.teardown());
  }

  /** Runs at teardown, after the namespaces are gone (e.g. removing the run's temp dir). */
  onTeardown(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  /** A fresh namespace with loopback up; returns its full name. */
  addNamespace(name: string): string {
    const ns = `${this.prefix}${name}`;
    ip(["netns", "add", ns]);
    this.namespaces.push(ns);
    this.run(ns, ["ip", "link", "set", "lo", "up"]);
    return ns;
  }

  /** A veth pair created directly inside the two namespaces (never in the host's), both ends up. */
  veth(a: Endpoint, b: Endpoint): void {
    ip(["link", "add", "dev", a.dev, "netns", a.ns, "type", "veth", "peer", "name", b.dev, "netns", b.ns]);
    for (const end of [a, b]) {
      if (end.cidr) this.run(end.ns, ["ip", "addr", "add", end.cidr, "dev", end.dev]);
      this.run(end.ns, ["ip", "link", "set", "dev", end.dev, "up"]);
    }
  }

  bridge(ns: string, dev: string, cidr: string): void {
    this.run(ns, ["ip", "link", "add", dev, "type", "bridge"]);
    this.run(ns, ["ip", "addr", "add", cidr, "dev", dev]);
    this.run(ns, ["ip", "link", "set", "dev", dev, "up"]);
  }

  attach(ns: string, dev: string, bridge: string): void {
    this.run(ns, ["ip", "link", "set", "dev", dev, "master", bridge]);
  }

  /**
   * Egress of `dev` limited to `mbit` with a token bucket. The burst is large enough for the
   * 64 KiB segments veth hands over with GSO (a smaller one drops them), small enough to keep
   * the rate true over a fraction of a second.
   */
  limit(ns: string, dev: string, mbit: number): void {
    this.run(ns, ["tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", `${mbit}mbit`, "burst", "128kb", "latency", "200ms"]);
  }

  route(ns: string, destination: string, via: string): void {
    this.run(ns, ["ip", "route", "add", destination, "via", via]);
  }

  forwarding(ns: string): void {
    this.run(ns, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
  }

  run(ns: string, command: string[]): string {
    return ip(["netns", "exec", ns, ...command]);
  }

  /** A long-running process inside `ns`; killed at teardown if still running. */
  spawn(ns: string, command: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): ChildProcess {
    const child = spawn("ip", ["netns", "exec", ns, ...command], { ...options, stdio: ["ignore", "pipe", "pipe"] });
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));
    return child;
  }

  /** Kills every process in our namespaces and deletes them (their links, bridges and qdiscs go with them). */
  teardown(): void {
    if (this.isTornDown) return;
    this.isTornDown = true;
    for (const child of this.children) child.kill("SIGKILL");
    for (const ns of this.namespaces.reverse()) removeNamespace(ns);
    for (const cleanup of this.cleanups) cleanup();
  }

  /** Namespaces of this run still present (for tests asserting nothing was left behind). */
  static leftovers(prefix: string): string[] {
    return listNamespaces().filter((ns) => ns.startsWith(prefix));
  }
}

function ip(args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function listNamespaces(): string[] {
  return ip(["netns", "list"])
    .split("\n")
    .map((line) => line.split(" ")[0])
    .filter(Boolean);
}

function removeNamespace(ns: string): void {
  try {
    for (const pid of ip(["netns", "pids", ns]).split("\n").filter(Boolean)) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // already gone
      }
    }
    ip(["netns", "del", ns]);
  } catch {
    // already deleted
  }
}

/** Namespaces left by a testbed run whose process no longer exists (killed with SIGKILL, say). */
function sweepStaleNamespaces(): void {
  for (const ns of listNamespaces()) {
    const owner = new RegExp(`^${PREFIX}(\\d+)-`).exec(ns);
    if (owner && !isAlive(Number(owner[1]))) removeNamespace(ns);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether this process may create namespaces (root with iproute2), and if not, why. */
export function netnsUnavailableReason(): string | null {
  if (process.getuid?.() !== 0) return "needs root to create network namespaces";
  try {
    ip(["netns", "list"]);
    execFileSync("tc", ["-V"], { stdio: "ignore" });
    return null;
  } catch (error) {
    return `iproute2 (ip, tc) not usable: ${(error as Error).message}`;
  }
}
