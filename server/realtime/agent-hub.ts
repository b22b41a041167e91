// The /agent namespace: per-node identity in the middleware, hello handshake, then events routed
// to the domain. Nothing an agent sends counts before the server has accepted its hello, and a
// connection speaks for exactly one name: the one it authenticated as.
import type { Logger } from "pino";
import type { Namespace, Server, Socket } from "socket.io";
import { AgentRefusal } from "../../protocol/agents.ts";
import {
  AGENT_NAMESPACE,
  agentAuth,
  agentHello,
  downloadFinished,
  downloadProgress,
  inventoryReported,
  RESULT_RETRY,
  type Ack,
  type AckOf,
  type AgentCommand,
  type AgentAuth,
  type AgentHello,
  type AgentSettings,
  type AgentToServerEvents,
  type DownloadFinished,
  type DownloadFinishedResult,
  type DownloadProgress,
  type ImagePrecache,
  type InventoryReported,
  type ServerToAgentEvents,
} from "../../protocol/events.ts";
import type { ErrorCode } from "../../protocol/errors.ts";
import type { AgentVerdict } from "../agents/verify-agent.ts";

type AgentSocketData = {
  /** Set once the hello is accepted: the name this socket speaks for. */
  name?: string;
  /** From the middleware: the name the socket authenticated as, and how. */
  authName?: string;
  isEnrolling?: boolean;
  secretHash?: string;
  hasSaidHello?: boolean;
  /** Runs one agent's events in arrival order: a result is never overtaken by its inventory. */
  chain?: Promise<void>;
  /** Precache commands waiting in `chain` behind the hello's catch-up, by rollout. */
  queued?: Map<string, number>;
};
/** The ack callback an agent's event comes with, typed per event by the contract. */
type AckCallback<E extends "agent:hello" | "download:finished" | "inventory:reported"> = Parameters<AgentToServerEvents[E]>[1];
type AgentSocket = Socket<AgentToServerEvents, ServerToAgentEvents, Record<string, never>, AgentSocketData>;

export type AgentEventHandlers = {
  /** Checks the connection's `auth` (already shape-validated) against the stored credentials. */
  authenticate(auth: AgentAuth, address: string): Promise<AgentVerdict>;
  /** Creates the name's credential; throws (CONFLICT) when someone enrolled it first. */
  enrol(name: string, address: string): Promise<{ secret: string; secretHash: string }>;
  /** Takes back a credential issued by a hello that then failed: the agent never received it. */
  unenrol(name: string, secretHash: string): Promise<void>;
  /** A refused connection or hello, for the (rate-limited) audit trail. `name` only if valid. */
  refused(name: string | null, address: string, code: ErrorCode, message: string): void;
  /** Registers the hypervisor and returns the settings the agent should use. */
  hello(hello: AgentHello): Promise<AgentSettings>;
  /**
   * Runs after the hello is acknowledged, so commands it sends reach a ready agent. Precache
   * commands for this node wait until it returns; `isQueued` says whether one for a rollout is
   * waiting (the node will have it). Returns the claims it found lost and put back: their
   * commands, should one still arrive, are not delivered (SUPERSEDED).
   */
  afterHello(hello: AgentHello, isQueued: (rolloutId: string) => boolean): Promise<LostClaim[]>;
  progress(name: string, progress: DownloadProgress): Promise<void>;
  /** Resolves once the result is durably written (or known to change nothing): then it is acked. */
  finished(name: string, result: DownloadFinished): Promise<DownloadFinishedResult>;
  inventory(name: string, report: InventoryReported): Promise<void>;
  disconnected(name: string): Promise<void>;
  /** Every SWEEP_MS: refresh lastSeen of connected names; returns names whose credential is gone. */
  sweep(online: { name: string; secretHash: string }[]): Promise<string[]>;
};

/** A rollout target's claim that a hello showed lost (the node neither has nor runs it). */
export type LostClaim = { rolloutId: string; claim: number };

const HELLO_TIMEOUT_MS = 30_000;
const COMMAND_TIMEOUT_MS = 30_000;

/** Sends commands to agents connected to other servers (server/cluster/remote-commands.ts). */
export type RemoteSender = {
  send<E extends AgentCommand>(name: string, event: E, payload: Parameters<ServerToAgentEvents[E]>[0]): Promise<AckOf<E>>;
};
const SWEEP_MS = 60_000;

/** Every agent's socket joins its name's room, so any server sharing the adapter can reach it. */
const roomOf = (name: string) => `hv:${name}`;

function refusal(code: AgentRefusal, message: string): Error {
  return Object.assign(new Error(`unauthorized: ${message}`), { data: { code } });
}

export class AgentHub {
  private readonly sockets = new Map<string, AgentSocket>();
  private handlers: AgentEventHandlers | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private namespace: Namespace<AgentToServerEvents, ServerToAgentEvents> | null = null;
  /** Set when several servers share the database: commands for agents elsewhere go through the adapter. */
  private isClustered = false;
  private remote: RemoteSender | null = null;
  /** Agents connected to other servers, as the database last said (see refreshRemoteOnline). */
  private remoteOnline = new Set<string>();
  /** Per connected node: claims its last hello found lost, by rollout (the highest). */
  private readonly lostClaims = new Map<string, Map<string, number>>();

  constructor(
    private readonly log: Logger,
    private readonly sweepMs = SWEEP_MS,
  ) {}

  attach(io: Server, handlers: AgentEventHandlers): void {
    this.handlers = handlers;
    const namespace = io.of(AGENT_NAMESPACE) as unknown as Namespace<AgentToServerEvents, ServerToAgentEvents>;
    this.namespace = namespace;
    namespace.use(
      (socket, next) =>
        void this.admit(socket as AgentSocket).then(
          () => next(),
          (error: Error) => next(error),
        ),
    );
    namespace.on("connection", (socket) => this.onConnection(socket as AgentSocket));
    this.sweepTimer = setInterval(() => void this.sweep(), this.sweepMs);
    this.sweepTimer.unref();
  }

  /** The namespace middleware: validates `auth` before anything else; throws the refusal to send. */
  private async admit(socket: AgentSocket): Promise<void> {
    const handlers = this.handlers!;
    const address = socket.handshake.address;
    const parsed = agentAuth.safeParse(socket.handshake.auth);
    if (!parsed.success) {
      const message = "auth must be { name, credential? , token? } with a host name";
      handlers.refused(null, address, AgentRefusal.invalidAuth, message);
      throw refusal(AgentRefusal.invalidAuth, message);
    }
    const auth = parsed.data;
    let verdict: AgentVerdict;
    try {
      verdict = await handlers.authenticate(auth, address);
    } catch (error) {
      this.log.error({ hypervisor: auth.name, error: (error as Error).message }, "agent authentication failed");
      throw refusal(AgentRefusal.serverError, "the server could not check this agent's credential; retry later");
    }
    if (verdict.ok && verdict.mode === "enrol" && this.sockets.has(auth.name)) {
      verdict = { ok: false, code: AgentRefusal.nameInUse, message: `${auth.name} is connected: the enrolment token cannot take it over` };
    }
    if (!verdict.ok) {
      this.log.warn({ address, name: auth.name, code: verdict.code }, "agent refused");
      handlers.refused(auth.name, address, verdict.code, verdict.message);
      throw refusal(verdict.code, verdict.message);
    }
    socket.data.authName = auth.name;
    socket.data.isEnrolling = verdict.mode === "enrol";
    if (verdict.mode === "credential") socket.data.secretHash = verdict.secretHash;
  }

  /** Pushes new settings (proxies, pinned images) to connected agents. */
  broadcastSettings(settingsFor: (name: string) => AgentSettings | null): void {
    for (const [name, socket] of this.sockets) {
      const settings = settingsFor(name);
      if (settings) socket.emit("settings:changed", settings);
    }
  }

  /** From now on, agents may be connected to other servers: commands for them go through `remote`. */
  enableCluster(remote: RemoteSender): void {
    this.isClustered = true;
    this.remote = remote;
  }

  /** Connected here or, as the database last said, to another server. */
  isOnline(name: string): boolean {
    return this.sockets.has(name) || this.remoteOnline.has(name);
  }

  /** Whether this server holds the name's connection. */
  isConnectedHere(name: string): boolean {
    return this.sockets.has(name);
  }

  /** Names connected to this server. */
  onlineNames(): string[] {
    return [...this.sockets.keys()];
  }

  /** Replaces what this server knows of agents connected elsewhere (read from the database). */
  setRemoteOnline(names: Iterable<string>): void {
    this.remoteOnline = new Set(names);
  }

  /** Drops a name's connection at once (revoked or reset), on whichever server holds it. */
  disconnect(name: string, reason: string): boolean {
    const socket = this.sockets.get(name);
    if (this.isClustered && !socket) this.namespace?.in(roomOf(name)).disconnectSockets(true);
    if (!socket) return false;
    this.log.warn({ hypervisor: name, reason }, "disconnecting agent");
    socket.disconnect(true);
    return true;
  }

  async send<E extends AgentCommand>(name: string, event: E, payload: Parameters<ServerToAgentEvents[E]>[0]): Promise<AckOf<E>> {
    if (this.sockets.has(name)) return this.deliverLocal(name, event, payload, COMMAND_TIMEOUT_MS);
    return this.remote ? this.remote.send(name, event, payload) : offline(name);
  }

  /**
   * To an agent connected to this server: its ack, TIMEOUT after `timeoutMs`, OFFLINE if it is not
   * here. A precache command goes in line behind the node's hello and its catch-up, and is not
   * delivered if that catch-up found its claim lost (a node is never sent a claim the server has
   * already put back for another).
   */
  async deliverLocal<E extends AgentCommand>(
    name: string,
    event: E,
    payload: Parameters<ServerToAgentEvents[E]>[0],
    timeoutMs: number,
  ): Promise<AckOf<E>> {
    const socket = this.sockets.get(name);
    if (!socket) return offline(name);
    if (event !== "image:precache") return this.emitCommand(socket, name, event, payload, timeoutMs);
    const { rolloutId, claim } = payload as ImagePrecache;
    const queued = (socket.data.queued ??= new Map());
    queued.set(rolloutId, (queued.get(rolloutId) ?? 0) + 1);
    const leaveLine = () => {
      const left = (queued.get(rolloutId) ?? 1) - 1;
      if (left > 0) queued.set(rolloutId, left);
      else queued.delete(rolloutId);
    };
    // The wait in line counts against the command's time: one that is not out by then is answered
    // OFFLINE (not sent, not an attempt) at once, so a slow catch-up never holds a sender or a batch.
    const deadline = Date.now() + timeoutMs;
    return new Promise<AckOf<E>>((resolve) => {
      let isAnswered = false;
      const giveUp = setTimeout(() => {
        isAnswered = true;
        leaveLine();
        resolve(offline(name, `hypervisor ${name}: its hello was still being settled after ${timeoutMs / 1000} s; not sent`));
      }, timeoutMs);
      this.inOrder(socket, async () => {
        if (isAnswered) return;
        isAnswered = true;
        clearTimeout(giveUp);
        leaveLine();
        if (this.sockets.get(name) !== socket) return resolve(offline(name));
        const lost = this.lostClaims.get(name)?.get(rolloutId);
        if (claim !== undefined && lost !== undefined && claim <= lost) {
          this.log.info({ hypervisor: name, rolloutId, claim }, "precache command of a claim the node's hello showed lost: not delivered");
          return resolve(superseded(name, claim) as AckOf<E>);
        }
        // Not awaited: the next event of this node must not wait for this command's ack.
        resolve(this.emitCommand(socket, name, event, payload, Math.max(1, deadline - Date.now())));
      });
    });
  }

  private async emitCommand<E extends AgentCommand>(
    socket: AgentSocket,
    name: string,
    event: E,
    payload: Parameters<ServerToAgentEvents[E]>[0],
    timeoutMs: number,
  ): Promise<AckOf<E>> {
    try {
      // Socket.io cannot resolve its ack type for a generic event name; this signature is the
      // contract's own (ServerToAgentEvents), spelled out once per command.
      const timed = socket.timeout(timeoutMs);
      const emitCommand = timed.emitWithAck as <C extends AgentCommand>(
        event: C,
        payload: Parameters<ServerToAgentEvents[C]>[0],
      ) => Promise<AckOf<C>>;
      return await emitCommand.call(timed, event, payload);
    } catch {
      return {
        ok: false,
        error: { code: "TIMEOUT", message: `hypervisor ${name} did not answer ${event} within ${timeoutMs / 1000} s` },
      };
    }
  }

  private inOrder(socket: AgentSocket, run: () => Promise<void>): void {
    const previous = socket.data.chain ?? Promise.resolve();
    socket.data.chain = previous
      .then(run)
      .catch((error: Error) => this.log.error({ hypervisor: socket.data.authName, error: error.message }, "agent event failed"));
  }

  private async sweep(): Promise<void> {
    const online = [...this.sockets].map(([name, socket]) => ({ name, secretHash: socket.data.secretHash ?? "" }));
    if (!online.length || !this.handlers) return;
    try {
      for (const name of await this.handlers.sweep(online)) this.disconnect(name, "credential no longer valid");
    } catch (error) {
      this.log.warn({ error: (error as Error).message }, "agent presence sweep failed");
    }
  }

  /** Forget the agents; io.close() then drops their transports, and they reconnect to the next server. */
  close(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sockets.clear();
  }

  private onConnection(socket: AgentSocket): void {
    const handlers = this.handlers!;
    const address = socket.handshake.address;
    const helloTimer = setTimeout(() => socket.disconnect(true), HELLO_TIMEOUT_MS);
    const guard =
      <T>(schema: { safeParse(v: unknown): { success: boolean; data?: T } }, run: (name: string, value: T) => Promise<void>) =>
      (payload: unknown) => {
        const name = socket.data.name;
        if (!name || this.sockets.get(name) !== socket) return;
        const parsed = schema.safeParse(payload);
        if (!parsed.success) return void this.log.warn({ hypervisor: name }, "invalid agent event ignored");
        this.inOrder(socket, () => run(name, parsed.data as T));
      };

    socket.on("agent:hello", (payload, ack) => {
      const reply = typeof ack === "function" ? ack : () => undefined;
      const authName = socket.data.authName!;
      if (socket.data.hasSaidHello) {
        handlers.refused(authName, address, "SECOND_HELLO", "a second hello on one connection");
        return reply({ ok: false, error: { code: "SECOND_HELLO", message: "one hello per connection: reconnect to say hello again" } });
      }
      const parsed = agentHello.safeParse(payload);
      if (!parsed.success) return reply({ ok: false, error: { code: "INVALID_HELLO", message: parsed.error.message } });
      const hello = parsed.data;
      if (hello.name !== authName) {
        handlers.refused(authName, address, "NAME_MISMATCH", `hello as another name than the connection's (${authName})`);
        return reply({
          ok: false,
          error: { code: "NAME_MISMATCH", message: `this connection authenticated as ${authName}; it cannot say hello as another name` },
        });
      }
      socket.data.hasSaidHello = true;
      clearTimeout(helloTimer);
      this.inOrder(socket, () => this.acceptHello(socket, hello, reply));
    });
    socket.on("download:progress", guard(downloadProgress, handlers.progress));
    socket.on("download:finished", (payload, ack) => this.onFinished(socket, payload, ack));
    socket.on("inventory:reported", (payload, ack) => this.onInventory(socket, payload, ack));
    socket.on("disconnect", () => {
      clearTimeout(helloTimer);
      const name = socket.data.name;
      if (!name || this.sockets.get(name) !== socket) return;
      this.sockets.delete(name);
      this.lostClaims.delete(name);
      // After this socket's hello has been written (no ghost), and only if nobody took the name since.
      this.inOrder(socket, async () => {
        if (!this.sockets.has(name)) await handlers.disconnected(name);
      });
    });
  }

  /** Like results: acked once written, RETRY when the write failed (the agent sends a fresh snapshot later). */
  private onInventory(socket: AgentSocket, payload: unknown, ack: AckCallback<"inventory:reported">): void {
    // A hostile client may emit without an ack function.
    const reply = typeof ack === "function" ? ack : () => undefined;
    const name = socket.data.name;
    if (!name || this.sockets.get(name) !== socket) return reply({ ok: false, error: { code: "NOT_READY", message: "say hello first" } });
    const parsed = inventoryReported.safeParse(payload);
    if (!parsed.success) {
      this.log.warn({ hypervisor: name }, "invalid inventory ignored");
      return reply({ ok: false, error: { code: "INVALID_INVENTORY", message: parsed.error.message.slice(0, 1000) } });
    }
    this.inOrder(socket, async () => {
      try {
        await this.handlers!.inventory(name, parsed.data);
        reply({ ok: true, data: { recorded: true } });
      } catch (error) {
        this.log.warn({ hypervisor: name, error: (error as Error).message }, "inventory not written; the agent will send it again");
        reply({ ok: false, error: { code: RESULT_RETRY, message: "inventory not written; send it again later" } });
      }
    });
  }

  /**
   * Acked only after the handler resolved (the result is written); a write that failed answers
   * RETRY, and the agent sends the same result again later. Before the hello: NOT_READY.
   */
  private onFinished(socket: AgentSocket, payload: unknown, ack: AckCallback<"download:finished">): void {
    const reply = typeof ack === "function" ? ack : () => undefined;
    const name = socket.data.name;
    if (!name || this.sockets.get(name) !== socket) return reply({ ok: false, error: { code: "NOT_READY", message: "say hello first" } });
    const parsed = downloadFinished.safeParse(payload);
    if (!parsed.success) {
      this.log.warn({ hypervisor: name }, "invalid agent event ignored");
      return reply({ ok: false, error: { code: "INVALID_RESULT", message: parsed.error.message } });
    }
    this.inOrder(socket, async () => {
      try {
        reply({ ok: true, data: await this.handlers!.finished(name, parsed.data) });
      } catch (error) {
        this.log.error(
          { hypervisor: name, resultId: parsed.data.resultId, error: (error as Error).message },
          "download result not written; the agent will send it again",
        );
        reply({ ok: false, error: { code: RESULT_RETRY, message: "the server could not record this result now; send it again later" } });
      }
    });
  }

  /** Enrols the name if it came with the token, takes the name over from an older connection of the same node, registers it. */
  private async acceptHello(socket: AgentSocket, hello: AgentHello, reply: (result: Ack<AgentSettings>) => void): Promise<void> {
    const handlers = this.handlers!;
    const address = socket.handshake.address;
    let credential: string | undefined;
    if (socket.data.isEnrolling) {
      try {
        if (this.sockets.has(hello.name)) throw new Error(`${hello.name} is connected`);
        const enrolled = await handlers.enrol(hello.name, address);
        credential = enrolled.secret;
        socket.data.secretHash = enrolled.secretHash;
        socket.data.isEnrolling = false;
      } catch (error) {
        const message = `${hello.name} is already enrolled (${(error as Error).message})`;
        handlers.refused(hello.name, address, AgentRefusal.badCredential, message);
        reply({ ok: false, error: { code: AgentRefusal.badCredential, message } });
        socket.disconnect(true);
        return;
      }
    }
    const takeBack = async () => {
      if (credential !== undefined) await handlers.unenrol(hello.name, socket.data.secretHash!);
    };
    if (!socket.connected) return takeBack();
    const previous = this.sockets.get(hello.name);
    socket.data.name = hello.name;
    // Set before dropping the previous socket, so its disconnect does not take the name offline.
    this.sockets.set(hello.name, socket);
    if (previous && previous !== socket) previous.disconnect(true);
    // An older connection of this node on another server (it has not noticed the node left yet)
    // would otherwise also be sent commands, and never answer them.
    if (this.isClustered) this.namespace?.in(roomOf(hello.name)).except(socket.id).disconnectSockets(true);
    socket.join(roomOf(hello.name));
    let settings: AgentSettings;
    try {
      settings = await handlers.hello(hello);
    } catch (error) {
      this.log.error({ hypervisor: hello.name, error: (error as Error).message }, "hello failed");
      await takeBack();
      reply({ ok: false, error: { code: "INTERNAL", message: "server could not register the hypervisor" } });
      return;
    }
    reply({ ok: true, data: credential === undefined ? settings : { ...settings, credential } });
    const lost = await handlers.afterHello(hello, (rolloutId) => (socket.data.queued?.get(rolloutId) ?? 0) > 0);
    if (this.sockets.get(hello.name) !== socket) return;
    if (lost.length) this.lostClaims.set(hello.name, new Map(lost.map((entry) => [entry.rolloutId, entry.claim])));
    else this.lostClaims.delete(hello.name);
  }
}

function superseded(name: string, claim: number): { ok: false; error: { code: "SUPERSEDED"; message: string } } {
  return {
    ok: false,
    error: { code: "SUPERSEDED", message: `claim ${claim} of hypervisor ${name} was put back by its hello; not delivered` },
  };
}

function offline(
  name: string,
  message = `hypervisor ${name} is not connected`,
): { ok: false; error: { code: "OFFLINE"; message: string } } {
  return { ok: false, error: { code: "OFFLINE", message } };
}
