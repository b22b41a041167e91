// The hypervisor agent as a library: one object per hypervisor, so a test can run thousands.
// The connection lifecycle is a state machine (connection/connection-state.ts); server commands
// are handlers registered by event name (connection/command-registry.ts), refused before hello.
import fs from "node:fs";
import { isIP } from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pino, { type Logger } from "pino";
import {
  PROTOCOL_VERSION,
  imageAbort,
  imageDelete,
  imagePrecache,
  settingsChanged,
  type Ack,
  type AgentHello,
  type AgentSettings,
  type AgentToServerEvents,
  type DownloadFinished,
  type DownloadFinishedResult,
} from "../protocol/events.ts";
import type { AgentConfig } from "./agent-config.ts";
import { CommandRegistry } from "./connection/command-registry.ts";
import { type AgentSocket, ConnectionManager } from "./connection/connection-manager.ts";
import { AgentState, ConnectionState } from "./connection/connection-state.ts";
import { defaultStateDir, prepareStateDir, readCredentialSync } from "./credential-store.ts";
import { freeBytes } from "../shared/files.ts";
import { abortImage } from "./handlers/abort-image.ts";
import type { AgentContext, FinishedClaim, RunningDownload } from "./handlers/agent-context.ts";
import { deleteImage } from "./handlers/delete-image.ts";
import { precacheImage } from "./handlers/precache-image.ts";
import { removeStaleParts, scanCache } from "./inventory.ts";
import { InventoryReporter } from "./inventory-reporter.ts";
import { touchPinned } from "./keep-fresh.ts";
import { PeerTier } from "./peer/peer-tier.ts";
import { DEFAULT_OUTBOX_TIMING, outboxFile, ResultOutbox, type OutboxTiming } from "./result-outbox.ts";

export { AgentState } from "./connection/connection-state.ts";

export const AGENT_VERSION = "0.1.0";

/** Aborted downloads remove their .part; one stuck in the kernel must not hang the stop. */
const ABORT_WAIT_MS = 15_000;
const KEEP_FRESH_MS = 3600_000;

export class PrecacheAgent implements AgentContext {
  readonly config: AgentConfig;
  readonly log: Logger;
  readonly downloads = new Map<string, RunningDownload>();
  readonly finishedClaims = new Map<string, FinishedClaim>();
  peer: PeerTier | null = null;
  private readonly connection: ConnectionState;
  private readonly commands: CommandRegistry;
  private link: ConnectionManager | null = null;
  private inventory: InventoryReporter | null = null;
  private timers: NodeJS.Timeout[] = [];
  /** What the server last told us: group proxies and pinned images. */
  private settings: AgentSettings = { proxies: [], pinned: [], artifactBaseUrl: "" };
  /** Download results until the server acknowledges them (loaded from the state dir at start). */
  private outbox: ResultOutbox | null = null;
  private readonly outboxTiming: OutboxTiming;
  private stopping: Promise<void> | null = null;

  constructor(config: AgentConfig, options?: { log?: Logger; outboxTiming?: Partial<OutboxTiming> }) {
    this.config = config;
    this.log = (options?.log ?? pino({ level: "info" })).child({ hypervisor: config.name });
    this.outboxTiming = { ...DEFAULT_OUTBOX_TIMING, ...options?.outboxTiming };
    this.connection = new ConnectionState((from, to) => this.log.error({ from, to }, "illegal agent state transition ignored"));
    this.commands = new CommandRegistry(this.connection)
      .command("image:precache", imagePrecache, (command) => precacheImage(this, command))
      .command("image:delete", imageDelete, (command) => deleteImage(this, command))
      .command("image:abort", imageAbort, (command) => abortImage(this, command))
      .notice("settings:changed", settingsChanged, (settings) => this.applySettings(settings));
  }

  get state(): AgentState {
    return this.connection.state;
  }

  async start(): Promise<void> {
    await fs.promises.mkdir(this.config.cacheDir, { recursive: true });
    const removed = await removeStaleParts(this.config.cacheDir);
    if (removed.length) this.log.warn({ removed }, "removed partial downloads left by a previous run");
    await prepareStateDir(this.stateDir());
    const credential = readCredentialSync(this.stateDir(), this.config.name)?.credential ?? null;
    if (!credential && !this.config.token)
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
    const link = new ConnectionManager(
      this.config,
      this.stateDir(),
      this.connection,
      this.log,
      {
        hello: () => this.hello(),
        ready: (settings) => {
          this.applySettings(settings);
          this.outbox?.ready();
        },
        lost: () => this.outbox?.notReady(),
      },
      credential,
    );
    this.link = link;
    this.inventory = new InventoryReporter(
      this.config.cacheDir,
      this.config.inventoryRetryMs ?? 5000,
      this.connection,
      () => link.current(),
      this.log,
    );
    link.connect(this.commands, ca);
    this.timers = [
      setInterval(() => void touchPinned(this.config.cacheDir, this.settings.pinned), KEEP_FRESH_MS),
      setInterval(() => void this.reportInventory(), this.config.rescanIntervalMs),
    ];
    for (const timer of this.timers) timer.unref();
  }

  /** The socket to the server while there is one (tests watch its events and id). */
  socket(): AgentSocket | null {
    return this.link?.current() ?? null;
  }

  /** Resolves once the server has accepted the hello. */
  whenReady(): Promise<void> {
    return this.connection.whenReady();
  }

  /** Graceful stop: let running downloads finish for up to `graceMs`, then abort them. */
  stop(graceMs = 0): Promise<void> {
    this.stopping ??= this.drainAndStop(graceMs).finally(() => {
      this.stopping = null;
    });
    return this.stopping;
  }

  private async drainAndStop(graceMs: number): Promise<void> {
    this.connection.transition(AgentState.stopping);
    for (const timer of this.timers) clearInterval(timer);
    this.inventory?.stop();
    await this.waitForDownloads(graceMs);
    for (const download of this.downloads.values()) download.controller.abort();
    // The next start removes what an abort stuck in the kernel left.
    await this.waitForDownloads(ABORT_WAIT_MS);
    if (this.downloads.size > 0)
      this.log.warn({ images: [...this.downloads.keys()] }, "downloads still finishing after abort; stopping anyway");
    // Results still unacknowledged stay in the state dir for the next start.
    this.outbox?.stop();
    await this.peer?.close();
    this.link?.close();
    this.link = null;
    this.connection.transition(AgentState.stopped);
  }

  private async waitForDownloads(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.downloads.size > 0 && Date.now() < deadline) await sleep(20);
  }

  artifactBaseUrl(): string {
    return this.settings.artifactBaseUrl;
  }

  stateDir(): string {
    return this.config.stateDir ?? defaultStateDir(this.config.cacheDir);
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
    const socket = this.socket();
    if (!socket) return;
    // Progress is dropped while disconnected; results go through the outbox (reportResult), never here.
    const target = event === "download:progress" ? socket.volatile : socket;
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

  reportInventory(): Promise<void> {
    return this.inventory?.report() ?? Promise.resolve();
  }

  private sendResult(result: DownloadFinished, timeoutMs: number): Promise<Ack<DownloadFinishedResult>> {
    const socket = this.socket();
    if (!socket?.connected || !this.connection.is(AgentState.ready)) return Promise.reject(new Error("not connected"));
    return socket.timeout(timeoutMs).emitWithAck("download:finished", result);
  }

  /** Results still in the outbox count as in flight: the server leaves their targets for the re-send. */
  private async hello(): Promise<AgentHello> {
    const [inventory, free] = await Promise.all([scanCache(this.config.cacheDir), freeBytes(this.config.cacheDir)]);
    const active = [
      ...[...this.downloads.entries()].flatMap(([imageId, download]) =>
        [...download.rolloutIds].map((rolloutId) => ({ rolloutId, imageId, bytes: download.bytes })),
      ),
      ...(this.outbox?.waiting() ?? []).map(({ rolloutId, imageId, bytes }) => ({ rolloutId, imageId, bytes })),
    ].slice(0, 100);
    return {
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
    };
  }
}
