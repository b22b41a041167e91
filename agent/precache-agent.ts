// The hypervisor agent as a library: one object per hypervisor, so a test can run thousands.
// An explicit state machine; commands are refused until the server has accepted our hello.
import fs from "node:fs";
import { isIP } from "node:net";
import path from "node:path";
import pino, { type Logger } from "pino";
import { io, type Socket } from "socket.io-client";
import {
  AGENT_NAMESPACE,
  PROTOCOL_VERSION,
  imageAbort,
  imageDelete,
  imagePrecache,
  settingsChanged,
  type AgentSettings,
  type Ack,
  type AgentToServerEvents,
  type DownloadFinished,
  type DownloadFinishedResult,
  type ServerToAgentEvents,
} from "../protocol/events.ts";
import { AgentRefusal } from "../protocol/agents.ts";
import { toErrorPayload } from "./agent-error.ts";
import type { AgentConfig } from "./agent-config.ts";
import { defaultStateDir, prepareStateDir, readCredentialSync, saveCredential } from "./credential-store.ts";
import { freeBytes } from "../shared/files.ts";
import { deleteImage } from "./handlers/delete-image.ts";
import type { AgentContext, RunningDownload } from "./handlers/agent-context.ts";
import { precacheImage } from "./handlers/precache-image.ts";
import { abortImage } from "./handlers/abort-image.ts";
import { PeerTier } from "./peer/peer-tier.ts";
import { touchPinned } from "./keep-fresh.ts";
import { removeStaleParts, scanCache } from "./inventory.ts";
import { DEFAULT_OUTBOX_TIMING, outboxFile, ResultOutbox, type OutboxTiming } from "./result-outbox.ts";

const INVENTORY_ACK_MS = 30_000;

export const AGENT_VERSION = "0.1.0";

export const AgentState = {
  stopped: "stopped",
  connecting: "connecting",
  handshaking: "handshaking",
  ready: "ready",
  draining: "draining",
} as const;
export type AgentState = (typeof AgentState)[keyof typeof AgentState];

type AgentSocket = Socket<ServerToAgentEvents, AgentToServerEvents>;

export class PrecacheAgent implements AgentContext {
  readonly config: AgentConfig;
  readonly log: Logger;
  readonly downloads = new Map<string, RunningDownload>();
  peer: PeerTier | null = null;
  state: AgentState = AgentState.stopped;
  private socket: AgentSocket | null = null;
  private rescanTimer: NodeJS.Timeout | null = null;
  private readyWaiters: (() => void)[] = [];
  /** What the server last told us: group proxies and pinned images. */
  private settings: AgentSettings = { proxies: [], pinned: [], artifactBaseUrl: "" };
  private freshTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private inventoryTimer: NodeJS.Timeout | null = null;
  private inventoryRetries = 0;
  /** This node's own credential (from the state file, or issued at enrolment); null until enrolled. */
  private credential: string | null = null;
  /** Refusals in a row, for the retry backoff. */
  private refusals = 0;
  /** Download results until the server acknowledges them (loaded from the state dir at start). */
  private outbox: ResultOutbox | null = null;
  private readonly outboxTiming: OutboxTiming;

  constructor(config: AgentConfig, options?: { log?: Logger; outboxTiming?: Partial<OutboxTiming> }) {
    this.config = config;
    this.log = (options?.log ?? pino({ level: "info" })).child({ hypervisor: config.name });
    this.outboxTiming = { ...DEFAULT_OUTBOX_TIMING, ...options?.outboxTiming };
  }

  async start(): Promise<void> {
    await fs.promises.mkdir(this.config.cacheDir, { recursive: true });
    const removed = await removeStaleParts(this.config.cacheDir);
    if (removed.length) this.log.warn({ removed }, "removed partial downloads left by a previous run");
    await prepareStateDir(this.stateDir());
    this.credential = readCredentialSync(this.stateDir(), this.config.name)?.credential ?? null;
    if (!this.credential && !this.config.token)
      throw new Error(`no credential in ${this.stateDir()} and no enrolment token (--token / PRECACHE_AGENT_TOKEN)`);
    this.outbox = new ResultOutbox(
      outboxFile(this.stateDir(), this.config.name),
      (result, timeoutMs) => this.sendResult(result, timeoutMs),
      this.log,
      this.outboxTiming,
    );
    await this.outbox.load();
    if (this.config.peer)
      this.peer = await PeerTier.start({ ...this.config.peer, spoolDir: path.join(this.stateDir(), "peer-spool") }, this.log);
    const ca = this.config.caFile ? await fs.promises.readFile(this.config.caFile, "utf8") : undefined;
    this.warnIfCleartext();
    this.setState(AgentState.connecting);
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
    socket.on("connect", () => void this.handshake());
    socket.on("disconnect", (reason) => {
      if (this.state === AgentState.draining || this.state === AgentState.stopped) return;
      this.log.warn({ reason }, "disconnected from server; will reconnect");
      this.setState(AgentState.connecting);
      this.outbox?.notReady();
      // socket.io does not retry by itself when the server closed the session on purpose.
      if (reason === "io server disconnect") setTimeout(() => this.socket?.connect(), 2000 + Math.random() * 3000).unref();
    });
    socket.on("connect_error", (error) => this.onConnectError(socket, error));
    socket.on("image:precache", (payload, ack) => this.handle(imagePrecache, payload, ack, (command) => precacheImage(this, command)));
    socket.on("image:delete", (payload, ack) => this.handle(imageDelete, payload, ack, (command) => deleteImage(this, command)));
    socket.on("image:abort", (payload, ack) => this.handle(imageAbort, payload, ack, (command) => abortImage(this, command)));
    socket.on("settings:changed", (payload) => {
      const parsed = settingsChanged.safeParse(payload);
      if (parsed.success) this.applySettings(parsed.data);
    });
    this.freshTimer = setInterval(() => void touchPinned(this.config.cacheDir, this.settings.pinned), 3600_000);
    this.freshTimer.unref();
    this.rescanTimer = setInterval(() => void this.reportInventory(), this.config.rescanIntervalMs);
    this.rescanTimer.unref();
  }

  /** Resolves once the server has accepted the hello. */
  whenReady(): Promise<void> {
    if (this.state === AgentState.ready) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Graceful stop: let running downloads finish for up to `graceMs`, then abort them. */
  async stop(graceMs = 0): Promise<void> {
    this.setState(AgentState.draining);
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    if (this.freshTimer) clearInterval(this.freshTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.inventoryTimer) clearTimeout(this.inventoryTimer);
    const deadline = Date.now() + graceMs;
    while (this.downloads.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const download of this.downloads.values()) download.controller.abort();
    // Aborted downloads remove their .part; one stuck in the kernel must not hang the stop
    // (the next start removes what it left).
    const abortDeadline = Date.now() + 15_000;
    while (this.downloads.size > 0 && Date.now() < abortDeadline) await new Promise((r) => setTimeout(r, 20));
    if (this.downloads.size > 0)
      this.log.warn({ images: [...this.downloads.keys()] }, "downloads still finishing after abort; stopping anyway");
    // Results still unacknowledged stay in the state dir for the next start.
    this.outbox?.stop();
    await this.peer?.close();
    this.socket?.disconnect();
    this.socket = null;
    this.setState(AgentState.stopped);
  }

  artifactBaseUrl(): string {
    return this.settings.artifactBaseUrl;
  }

  stateDir(): string {
    return this.config.stateDir ?? defaultStateDir(this.config.cacheDir);
  }

  /**
   * Unreachable: socket.io retries by itself (socket.active). Refused by the server: it does not,
   * so we retry with a growing delay; a name reset by an admin enrols again with the token.
   */
  private onConnectError(socket: AgentSocket, error: Error): void {
    if (socket.active) return void this.log.warn({ error: error.message }, "cannot reach server; retrying");
    const code = (error as Error & { data?: { code?: string } }).data?.code;
    if (code === AgentRefusal.notEnrolled && this.config.token) {
      this.log.warn(
        { stateDir: this.stateDir() },
        "the server has no credential for this name (reset by an admin?): enrolling again with the enrolment token",
      );
      this.credential = null;
    }
    this.retryLater(`server refused this agent: ${error.message}`, code);
  }

  private retryLater(reason: string, code?: string): void {
    if (this.state === AgentState.draining || this.state === AgentState.stopped) return;
    const first = this.config.refusedRetryMs ?? 5000;
    const delay = Math.min(300_000, first * 2 ** Math.min(this.refusals, 10)) * (0.75 + Math.random() * 0.5);
    this.refusals += 1;
    this.log.error({ code, retryInMs: Math.round(delay) }, reason);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.socket?.connect(), delay);
    this.retryTimer.unref();
  }

  /** The credential and the enrolment token are secrets: over plain http they cross the network readable. */
  private warnIfCleartext(): void {
    const url = new URL(this.config.server);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const isLoopback = host === "localhost" || (isIP(host) === 4 ? host.startsWith("127.") : host === "::1");
    if (url.protocol === "http:" && !isLoopback)
      this.log.warn(
        { server: this.config.server },
        "server is plain http: the agent's credential crosses the network unencrypted; use https:// (with --ca for a private CA)",
      );
  }

  proxies(): string[] {
    return this.config.proxies.length > 0 ? this.config.proxies : this.settings.proxies;
  }

  private applySettings(settings: AgentSettings): void {
    this.settings = settings;
    void touchPinned(this.config.cacheDir, settings.pinned);
  }

  emit<E extends keyof AgentToServerEvents>(event: E, ...args: Parameters<AgentToServerEvents[E]>): void {
    if (!this.socket) return;
    // Progress is dropped while disconnected; results go through the outbox (reportResult), never here.
    const target = event === "download:progress" ? this.socket.volatile : this.socket;
    (target.emit as (event: string, ...args: unknown[]) => void).call(target, event, ...args);
  }

  /** A download's outcome: kept until the server acknowledges it (see ResultOutbox). */
  async reportResult(result: Omit<DownloadFinished, "resultId">): Promise<void> {
    await this.outbox?.add(result);
  }

  /** Results not yet acknowledged (tests wait on this). */
  unacknowledgedResults(): DownloadFinished[] {
    return this.outbox?.waiting() ?? [];
  }

  private sendResult(result: DownloadFinished, timeoutMs: number): Promise<Ack<DownloadFinishedResult>> {
    const socket = this.socket;
    if (!socket?.connected || this.state !== AgentState.ready) return Promise.reject(new Error("not connected"));
    return socket.timeout(timeoutMs).emitWithAck("download:finished", result);
  }

  /**
   * Sends a fresh snapshot of the cache dir. Unacknowledged (server busy, database down), a fresh
   * one follows after a backoff: what a deletion or a found file changed is never left unsaid
   * until the next periodic rescan.
   */
  async reportInventory(): Promise<void> {
    if (this.state !== AgentState.ready || !this.socket) return;
    const [inventory, free] = await Promise.all([scanCache(this.config.cacheDir), freeBytes(this.config.cacheDir)]);
    const socket = this.socket;
    if (!socket || this.state !== AgentState.ready) return;
    socket
      .timeout(INVENTORY_ACK_MS)
      .emit("inventory:reported", { freeBytes: free, inventory }, (error: Error | null, result?: Ack<{ recorded: true }>) => {
        if (!error && result?.ok) return void (this.inventoryRetries = 0);
        this.retryInventory(error?.message ?? (result && !result.ok ? result.error.message : "no answer"));
      });
  }

  private retryInventory(reason: string): void {
    if (this.inventoryTimer || this.state === AgentState.draining || this.state === AgentState.stopped) return;
    const first = this.config.inventoryRetryMs ?? 5000;
    const delay = Math.min(60_000, first * 2 ** Math.min(this.inventoryRetries, 6)) * (0.75 + Math.random() * 0.5);
    this.inventoryRetries += 1;
    this.log.warn({ reason, retryInMs: Math.round(delay) }, "inventory not recorded; sending a fresh one later");
    this.inventoryTimer = setTimeout(() => {
      this.inventoryTimer = null;
      void this.reportInventory();
    }, delay);
    this.inventoryTimer.unref();
  }

  private async handshake(): Promise<void> {
    this.setState(AgentState.handshaking);
    const [inventory, free] = await Promise.all([scanCache(this.config.cacheDir), freeBytes(this.config.cacheDir)]);
    // Results still in the outbox count as in flight: the server leaves their targets for the re-send.
    const active = [
      ...[...this.downloads.entries()].flatMap(([imageId, download]) =>
        [...download.rolloutIds].map((rolloutId) => ({ rolloutId, imageId, bytes: download.bytes })),
      ),
      ...(this.outbox?.waiting() ?? []).map(({ rolloutId, imageId, bytes }) => ({ rolloutId, imageId, bytes })),
    ].slice(0, 100);
    const hello = {
      protocol: PROTOCOL_VERSION,
      name: this.config.name,
      version: AGENT_VERSION,
      cacheDir: this.config.cacheDir,
      freeBytes: free,
      proxies: this.config.proxies,
      ...(this.config.group ? { group: this.config.group } : {}),
      ...(this.peer ? { peerUrl: this.peer.url } : {}),
      inventory,
      active,
    } as const;
    this.socket
      ?.timeout(120_000)
      .emit("agent:hello", hello, (error: Error | null, result?: Ack<AgentSettings>) => void this.onHelloAnswer(error, result));
  }

  private async onHelloAnswer(error: Error | null, result?: Ack<AgentSettings>): Promise<void> {
    if (error || !result?.ok) {
      const reason = error?.message ?? (result && !result.ok ? `${result.error.code}: ${result.error.message}` : "no answer");
      this.socket?.disconnect();
      return this.retryLater(`server refused hello: ${reason}`);
    }
    const { credential, ...settings } = result.data;
    if (credential) {
      // Stored durably before we rely on it: the server now refuses this name without it.
      try {
        await saveCredential(this.stateDir(), {
          name: this.config.name,
          server: this.config.server,
          credential,
          enrolledAt: new Date().toISOString(),
        });
      } catch (saveError) {
        this.log.error(
          { stateDir: this.stateDir(), error: (saveError as Error).message },
          `cannot store the credential issued at enrolment: an admin must reset ${this.config.name} before it can enrol again`,
        );
        this.socket?.disconnect();
        return this.retryLater("enrolment could not be completed");
      }
      this.credential = credential;
      this.log.info({ stateDir: this.stateDir() }, "enrolled: credential stored");
    }
    this.refusals = 0;
    this.applySettings(settings);
    this.setState(AgentState.ready);
    this.log.info({ server: this.config.server }, "connected");
    this.outbox?.ready();
    for (const resolve of this.readyWaiters.splice(0)) resolve();
  }

  private handle<T, R>(
    schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: { message: string } } },
    payload: unknown,
    ack: ((result: Ack<R>) => void) | undefined,
    handler: (command: T) => R | Promise<R>,
  ): void {
    const reply = typeof ack === "function" ? ack : () => undefined;
    if (this.state !== AgentState.ready) {
      reply({ ok: false, error: { code: "NOT_READY", message: `agent is ${this.state}` } });
      return;
    }
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      reply({ ok: false, error: { code: "INVALID_COMMAND", message: parsed.error.message } });
      return;
    }
    Promise.resolve()
      .then(() => handler(parsed.data))
      .then(
        (data) => reply({ ok: true, data }),
        (error) => reply({ ok: false, error: toErrorPayload(error) }),
      );
  }

  private setState(state: AgentState): void {
    this.state = state;
  }
}
