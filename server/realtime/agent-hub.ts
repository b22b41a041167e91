// The /agent namespace: token check, hello handshake, then events routed to the domain.
// Nothing an agent sends counts before the server has accepted its hello.
import type { Logger } from "pino";
import type { Namespace, Server, Socket } from "socket.io";
import {
  AGENT_NAMESPACE,
  agentHello,
  downloadFinished,
  downloadProgress,
  inventoryReported,
  type Ack,
  type AgentHello,
  type AgentSettings,
  type AgentToServerEvents,
  type DownloadFinished,
  type DownloadProgress,
  type InventoryReported,
  type ServerToAgentEvents,
} from "../../protocol/events.ts";
import { safeEqual } from "../secrets.ts";

/** `chain` runs one agent's events in arrival order: a result is never overtaken by its inventory. */
type AgentSocket = Socket<AgentToServerEvents, ServerToAgentEvents, Record<string, never>, { name?: string; chain?: Promise<void> }>;

export type AgentEventHandlers = {
  /** Registers the hypervisor and returns the settings the agent should use. */
  hello(hello: AgentHello): Promise<AgentSettings>;
  /** Runs after the hello is acknowledged, so commands it sends reach a ready agent. */
  afterHello(hello: AgentHello): Promise<void>;
  progress(name: string, progress: DownloadProgress): Promise<void>;
  finished(name: string, result: DownloadFinished): Promise<void>;
  inventory(name: string, report: InventoryReported): Promise<void>;
  disconnected(name: string): Promise<void>;
};

const HELLO_TIMEOUT_MS = 30_000;
const COMMAND_TIMEOUT_MS = 30_000;

export class AgentHub {
  private readonly sockets = new Map<string, AgentSocket>();
  private namespace: Namespace<AgentToServerEvents, ServerToAgentEvents> | null = null;
  private handlers: AgentEventHandlers | null = null;

  constructor(private readonly log: Logger, private readonly token: string) {}

  attach(io: Server, handlers: AgentEventHandlers): void {
    this.handlers = handlers;
    const namespace = io.of(AGENT_NAMESPACE) as unknown as Namespace<AgentToServerEvents, ServerToAgentEvents>;
    this.namespace = namespace;
    namespace.use((socket, next) => {
      const token = socket.handshake.auth?.token;
      if (typeof token !== "string" || !safeEqual(token, this.token)) {
        this.log.warn({ address: socket.handshake.address, name: socket.handshake.auth?.name }, "agent refused: bad token");
        return next(new Error("unauthorized: wrong or missing PRECACHE_AGENT_TOKEN"));
      }
      next();
    });
    namespace.on("connection", (socket) => this.onConnection(socket as AgentSocket));
  }

  /** Pushes new settings (proxies, pinned images) to connected agents. */
  broadcastSettings(settingsFor: (name: string) => AgentSettings | null): void {
    for (const [name, socket] of this.sockets) {
      const settings = settingsFor(name);
      if (settings) socket.emit("settings:changed", settings);
    }
  }

  isOnline(name: string): boolean {
    return this.sockets.has(name);
  }

  onlineNames(): string[] {
    return [...this.sockets.keys()];
  }

  async send<E extends keyof ServerToAgentEvents>(
    name: string,
    event: E,
    payload: Parameters<ServerToAgentEvents[E]>[0],
  ): Promise<Ack<unknown>> {
    const socket = this.sockets.get(name);
    if (!socket) return { ok: false, error: { code: "OFFLINE", message: `hypervisor ${name} is not connected` } };
    try {
      const emit = socket.timeout(COMMAND_TIMEOUT_MS).emitWithAck as (event: string, payload: unknown) => Promise<Ack<unknown>>;
      return await emit.call(socket.timeout(COMMAND_TIMEOUT_MS), event, payload);
    } catch {
      return { ok: false, error: { code: "TIMEOUT", message: `hypervisor ${name} did not answer ${event} within ${COMMAND_TIMEOUT_MS / 1000} s` } };
    }
  }

  private inOrder(socket: AgentSocket, run: () => Promise<void>): void {
    const previous = socket.data.chain ?? Promise.resolve();
    socket.data.chain = previous.then(run).catch((error: Error) => this.log.error({ hypervisor: socket.data.name, error: error.message }, "agent event failed"));
  }

  /** Forget the agents; io.close() then drops their transports, and they reconnect to the next server. */
  close(): void {
    this.sockets.clear();
    this.namespace = null;
  }

  private onConnection(socket: AgentSocket): void {
    const handlers = this.handlers!;
    const helloTimer = setTimeout(() => socket.disconnect(true), HELLO_TIMEOUT_MS);
    const guard = <T>(schema: { safeParse(v: unknown): { success: boolean; data?: T } }, run: (name: string, value: T) => Promise<void>) =>
      (payload: unknown) => {
        const name = socket.data.name;
        if (!name || this.sockets.get(name) !== socket) return;
        const parsed = schema.safeParse(payload);
        if (!parsed.success) return void this.log.warn({ hypervisor: name }, "invalid agent event ignored");
        this.inOrder(socket, () => run(name, parsed.data as T));
      };

    socket.on("agent:hello", (payload, ack) => {
      const reply = typeof ack === "function" ? ack : () => undefined;
      const parsed = agentHello.safeParse(payload);
      if (!parsed.success) {
        reply({ ok: false, error: { code: "INVALID_HELLO", message: parsed.error.message } });
        return;
      }
      const hello = parsed.data;
      clearTimeout(helloTimer);
      const previous = this.sockets.get(hello.name);
      if (previous && previous !== socket) previous.disconnect(true);
      socket.data.name = hello.name;
      this.sockets.set(hello.name, socket);
      this.inOrder(socket, async () => {
        let settings: AgentSettings;
        try {
          settings = await handlers.hello(hello);
        } catch (error) {
          this.log.error({ hypervisor: hello.name, error: (error as Error).message }, "hello failed");
          return reply({ ok: false, error: { code: "INTERNAL", message: "server could not register the hypervisor" } });
        }
        reply({ ok: true, data: settings });
        await handlers.afterHello(hello);
      });
    });
    socket.on("download:progress", guard(downloadProgress, handlers.progress));
    socket.on("download:finished", guard(downloadFinished, handlers.finished));
    socket.on("inventory:reported", guard(inventoryReported, handlers.inventory));
    socket.on("disconnect", () => {
      clearTimeout(helloTimer);
      const name = socket.data.name;
      if (!name || this.sockets.get(name) !== socket) return;
      this.sockets.delete(name);
      handlers.disconnected(name).catch((error: Error) => this.log.error({ hypervisor: name, error: error.message }, "disconnect handling failed"));
    });
  }
}
