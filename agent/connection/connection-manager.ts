// Owns the socket and the connect → hello → ready cycle, and the retries around it:
// socket.io reconnects by itself after a network loss; after a refusal (unknown name, hello
// refused, enrolment not stored) it does not, so we retry with a growing delay.
import type { Logger } from "pino";
import { io, type Socket } from "socket.io-client";
import { AgentRefusal } from "../../protocol/agents.ts";
import {
  AGENT_NAMESPACE,
  type Ack,
  type AgentHello,
  type AgentSettings,
  type AgentToServerEvents,
  type ServerToAgentEvents,
} from "../../protocol/events.ts";
import type { AgentConfig } from "../agent-config.ts";
import { saveCredential } from "../credential-store.ts";
import { backoffDelay, REFUSED_BACKOFF, serverDisconnectDelay } from "./backoff.ts";
import type { CommandRegistry } from "./command-registry.ts";
import { AgentState, type ConnectionState } from "./connection-state.ts";

export type AgentSocket = Socket<ServerToAgentEvents, AgentToServerEvents>;

const HELLO_ANSWER_MS = 120_000;

export type ConnectionHooks = {
  /** The hello, built fresh for each connection (inventory and running downloads change). */
  hello(): Promise<AgentHello>;
  /** The server accepted the hello; the state is already ready. */
  ready(settings: Omit<AgentSettings, "credential">): void;
  /** The socket is gone (we reconnect): results wait. */
  lost(): void;
};

export class ConnectionManager {
  private socket: AgentSocket | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Refusals in a row, for the retry backoff. */
  private refusals = 0;

  constructor(
    private readonly config: AgentConfig,
    private readonly stateDir: string,
    private readonly connection: ConnectionState,
    private readonly log: Logger,
    private readonly hooks: ConnectionHooks,
    /** This node's own credential (from the state file); null until enrolled. */
    private credential: string | null,
  ) {}

  /** The socket while one exists (connected or reconnecting). */
  current(): AgentSocket | null {
    return this.socket;
  }

  /** `ca`: the private CA's PEM (--ca), read by the caller. */
  connect(commands: CommandRegistry, ca: string | undefined): void {
    this.connection.transition(AgentState.connecting);
    const socket: AgentSocket = io(this.config.server + AGENT_NAMESPACE, {
      // Read at every (re)connection: once enrolled, the credential replaces the enrolment token.
      auth: (send) =>
        send(
          this.credential ? { name: this.config.name, credential: this.credential } : { name: this.config.name, token: this.config.token },
        ),
      transports: ["websocket"],
      reconnectionDelay: 1000,
      reconnectionDelayMax: 30_000,
      randomizationFactor: 0.5,
      ...(ca ? { ca } : {}),
    });
    this.socket = socket;
    socket.on("connect", () => void this.sendHello());
    socket.on("disconnect", (reason) => this.onDisconnect(reason));
    socket.on("connect_error", (error) => this.onConnectError(socket, error));
    commands.attach(socket);
  }

  /** Called once the state is stopping: no retry fires after this. */
  close(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.disconnect();
    this.socket = null;
  }

  private onDisconnect(reason: string): void {
    if (this.connection.is(AgentState.stopping, AgentState.stopped)) return;
    this.log.warn({ reason }, "disconnected from server; will reconnect");
    this.connection.transition(AgentState.connecting);
    this.hooks.lost();
    // socket.io does not retry by itself when the server closed the session on purpose.
    if (reason === "io server disconnect") setTimeout(() => this.socket?.connect(), serverDisconnectDelay()).unref();
  }

  /** Unreachable: socket.io retries by itself (socket.active). Refused: a name reset by an admin enrols again. */
  private onConnectError(socket: AgentSocket, error: Error): void {
    if (socket.active) return void this.log.warn({ error: error.message }, "cannot reach server; retrying");
    const code = (error as Error & { data?: { code?: string } }).data?.code;
    if (code === AgentRefusal.notEnrolled && this.config.token) {
      this.log.warn(
        { stateDir: this.stateDir },
        "the server has no credential for this name (reset by an admin?): enrolling again with the enrolment token",
      );
      this.credential = null;
    }
    this.retryLater(`server refused this agent: ${error.message}`, code);
  }

  private retryLater(reason: string, code?: string): void {
    if (this.connection.is(AgentState.stopping, AgentState.stopped)) return;
    const delay = backoffDelay({ firstMs: this.config.refusedRetryMs ?? 5000, ...REFUSED_BACKOFF }, this.refusals);
    this.refusals += 1;
    this.log.error({ code, retryInMs: Math.round(delay) }, reason);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.socket?.connect(), delay);
    this.retryTimer.unref();
  }

  private async sendHello(): Promise<void> {
    // socket.io may reconnect while stop() drains downloads: a stopping agent takes no commands.
    if (this.connection.is(AgentState.stopping, AgentState.stopped)) return;
    if (!this.connection.transition(AgentState.handshaking)) return;
    const hello = await this.hooks.hello();
    this.socket
      ?.timeout(HELLO_ANSWER_MS)
      .emit("agent:hello", hello, (error: Error | null, result?: Ack<AgentSettings>) => void this.onHelloAnswer(error, result));
  }

  private async onHelloAnswer(error: Error | null, result?: Ack<AgentSettings>): Promise<void> {
    if (error || !result?.ok) {
      const reason = error?.message ?? (result && !result.ok ? `${result.error.code}: ${result.error.message}` : "no answer");
      this.socket?.disconnect();
      return this.retryLater(`server refused hello: ${reason}`);
    }
    const { credential, ...settings } = result.data;
    if (credential && !(await this.storeCredential(credential))) {
      this.socket?.disconnect();
      return this.retryLater("enrolment could not be completed");
    }
    this.refusals = 0;
    // A stop that began while we waited for the answer wins: no ready after it.
    if (this.connection.is(AgentState.stopping, AgentState.stopped)) return;
    this.connection.transition(AgentState.ready);
    this.log.info({ server: this.config.server }, "connected");
    this.hooks.ready(settings);
  }

  /** Stored durably before we rely on it: the server now refuses this name without it. */
  private async storeCredential(credential: string): Promise<boolean> {
    try {
      await saveCredential(this.stateDir, {
        name: this.config.name,
        server: this.config.server,
        credential,
        enrolledAt: new Date().toISOString(),
      });
    } catch (saveError) {
      this.log.error(
        { stateDir: this.stateDir, error: (saveError as Error).message },
        `cannot store the credential issued at enrolment: an admin must reset ${this.config.name} before it can enrol again`,
      );
      return false;
    }
    this.credential = credential;
    this.log.info({ stateDir: this.stateDir }, "enrolled: credential stored");
    return true;
  }
}
