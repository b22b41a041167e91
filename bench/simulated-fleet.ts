// Simulated agents: real Socket.io connections speaking the real /agent protocol, which
// accept image:precache and report progress but move no bytes (labelled as such in the output).
import { io, type Socket } from "socket.io-client";
import { AGENT_NAMESPACE, PROTOCOL_VERSION, imagePrecache, type Ack, type AgentSettings, type ImagePrecache } from "../protocol/events.ts";
import { sleep } from "./bench-support.ts";
import { TOKENS } from "./bench-server.ts";

export const PROGRESS_TICKS = 20;
const GROUPS = 8;
/**
 * Loopback has ~28,000 ephemeral ports (32768–60999) per source address towards one server
 * port: past that, connect() fails with EADDRNOTAVAIL. Agents beyond it use 127.0.0.2, .3…
 */
const AGENTS_PER_SOURCE_ADDRESS = 20_000;

type SimulatedAgent = { index: number; name: string; socket: Socket; command: ImagePrecache | null; sent: number; startedAt: number };
export type SimulatedFleet = {
  connected: number;
  connectSeconds: number;
  failures: string[];
  counters: { commands: number; progress: number; finished: number; disconnects: number };
  stop(): Promise<void>;
};
export type FleetOptions = {
  url: string;
  count: number;
  batch: number;
  progressTicks?: number;
  /** Agent names are `<namePrefix><index>` ("hv-" by default): fleets on different servers tell apart. */
  namePrefix?: string;
  /** Which tenth of each second this agent reports progress in. */
  slotOf(index: number): number;
  bytesAt(agent: number, tick: number, command: ImagePrecache): number;
};

export const agentName = (index: number, prefix = "hv-"): string => `${prefix}${String(index).padStart(5, "0")}`;
export const agentGroup = (index: number): string => `rack-${index % GROUPS}`;

/**
 * N agents in this process, each its own websocket to /agent. Each says hello (group rack-<i%8>),
 * accepts image:precache, then reports progress once a second and finishes: no bytes move.
 */
export async function startSimulatedFleet(options: FleetOptions): Promise<SimulatedFleet> {
  const ticks = options.progressTicks ?? PROGRESS_TICKS;
  const counters = { commands: 0, progress: 0, finished: 0, disconnects: 0 };
  const agents: SimulatedAgent[] = [];
  const reporting: Set<SimulatedAgent>[] = Array.from({ length: 10 }, () => new Set());
  const failures: string[] = [];
  let isStopping = false;
  const isLoopback = new URL(options.url).hostname === "127.0.0.1";

  const connect = (index: number): Promise<void> =>
    new Promise((resolve) => {
      const name = agentName(index, options.namePrefix);
      const socket = io(options.url + AGENT_NAMESPACE, {
        auth: { token: TOKENS.PRECACHE_AGENT_TOKEN, name },
        transports: ["websocket"],
        ...(isLoopback ? { localAddress: `127.0.0.${1 + Math.floor(index / AGENTS_PER_SOURCE_ADDRESS)}` } : {}),
        forceNew: true,
        reconnection: false,
        timeout: 120_000,
      });
      const agent: SimulatedAgent = { index, name, socket, command: null, sent: 0, startedAt: 0 };
      const fail = (reason: string) => {
        failures.push(reason);
        socket.disconnect();
        resolve();
      };
      socket.once("connect_error", (error) => fail(`connect: ${error.message}`));
      socket.once("connect", () => {
        const hello = {
          protocol: PROTOCOL_VERSION,
          name,
          version: "0.1.0-simulated",
          cacheDir: `/var/lib/nova/instances/_base`,
          freeBytes: 2 ** 40,
          proxies: [],
          group: agentGroup(index),
          inventory: [],
          active: [],
        };
        socket.timeout(120_000).emit("agent:hello", hello, (error: Error | null, answer?: Ack<AgentSettings>) => {
          if (error || !answer?.ok) return fail(`hello: ${error?.message ?? (answer && !answer.ok ? answer.error.code : "no answer")}`);
          agents.push(agent);
          resolve();
        });
      });
      socket.on("disconnect", (reason) => {
        if (!isStopping && reason !== "io client disconnect") counters.disconnects += 1;
      });
      socket.on("image:precache", (payload: unknown, ack: (result: Ack<{ accepted: true }>) => void) => {
        const parsed = imagePrecache.safeParse(payload);
        if (!parsed.success) return ack({ ok: false, error: { code: "INVALID_COMMAND", message: parsed.error.message } });
        ack({ ok: true, data: { accepted: true } });
        counters.commands += 1;
        Object.assign(agent, { command: parsed.data, sent: 0, startedAt: performance.now() });
        reporting[options.slotOf(index) % 10].add(agent);
      });
    });

  const started = performance.now();
  for (let start = 0; start < options.count; start += options.batch) {
    await Promise.all(Array.from({ length: Math.min(options.batch, options.count - start) }, (_, i) => connect(start + i)));
  }
  const connectSeconds = (performance.now() - started) / 1000;

  let tick = 0;
  const ticker = setInterval(() => {
    for (const agent of reporting[tick++ % 10]) {
      const command = agent.command!;
      if (agent.sent < ticks) {
        agent.sent += 1;
        counters.progress += 1;
        const progress = {
          rolloutId: command.rolloutId,
          imageId: command.imageId,
          bytes: options.bytesAt(agent.index, agent.sent, command),
          totalBytes: command.imageSize,
        };
        agent.socket.volatile.emit("download:progress", progress);
        continue;
      }
      const seconds = (performance.now() - agent.startedAt) / 1000;
      agent.socket.emit("download:finished", {
        resultId: crypto.randomUUID(),
        rolloutId: command.rolloutId,
        imageId: command.imageId,
        ok: true,
        bytes: command.imageSize ?? 0,
        seconds,
      });
      counters.finished += 1;
      for (const slot of reporting) slot.delete(agent);
    }
  }, 100);

  return {
    connected: agents.length,
    connectSeconds,
    failures,
    counters,
    async stop() {
      isStopping = true;
      clearInterval(ticker);
      for (const agent of agents) agent.socket.disconnect();
      await sleep(200);
    },
  };
}
