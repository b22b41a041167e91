// Precache's backend in one process: REST API, artifact origin, Socket.io hubs, optional
// Next.js pages, and (on a machine without Glance) one local agent. Tests start it on port 0.
import dns from "node:dns/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { Server as SocketServer } from "socket.io";
import { AGENT_NAMESPACE, MAX_AGENT_MESSAGE_BYTES } from "../protocol/events.ts";
import { UI_NAMESPACE } from "../protocol/ui.ts";
import { PrecacheAgent } from "../agent/precache-agent.ts";
import { parseBoolean, parseProxyList } from "../agent/agent-config.ts";
import { agentHandlers } from "./agents/agent-handlers.ts";
import type { AppContext } from "./context.ts";
import { openDatabase } from "./db/open-database.ts";
import { ReadCache } from "./db/read-cache.ts";
import type { Env } from "./env.ts";
import { DomainEvents } from "./events/domain-events.ts";
import { wireSubscribers } from "./events/wire-subscribers.ts";
import { createGlanceSource } from "./glance/create-image-source.ts";
import type { ImageSource } from "./glance/source-image.ts";
import { uiSnapshot } from "./hypervisors/hypervisor-queries.ts";
import { createRequestListener, type RequestHandler } from "./http/serve-request.ts";
import { DirectorySource } from "./images/directory-source.ts";
import { seedSampleImage } from "./images/seed-sample-image.ts";
import { syncImages } from "./images/sync-images.ts";
import { createLogger } from "./log.ts";
import { resumeInterruptedPublishes } from "./publish/publish-image.ts";
import { rewrapArtifactKeys } from "./keys/rewrap-artifact-keys.ts";
import { AgentHub } from "./realtime/agent-hub.ts";
import { UiHub } from "./realtime/ui-hub.ts";
import { ProgressBuffer } from "./rollouts/progress-buffer.ts";
import { RolloutScheduler } from "./rollouts/rollout-scheduler.ts";
import { Leadership } from "./cluster/leadership.ts";
import { attachClusterAdapter } from "./cluster/cluster-adapter.ts";
import { startClusterRelay } from "./cluster/cluster-relay.ts";
import { RemoteCommands } from "./cluster/remote-commands.ts";
import { keyForNode } from "./keys/artifact-key-for-targets.ts";
import { startLeaderDuties } from "./cluster/leader-duties.ts";
import { remotePresenceReader } from "./cluster/remote-presence.ts";
import { ServerInstances } from "./cluster/server-instances.ts";
import { markServersAgentsOffline } from "./hypervisors/register-hypervisor.ts";
import { armFailPoints } from "./fail-points.ts";
import { pushAgentSettings } from "./topology/topology.ts";
import { loadSecrets } from "./secrets.ts";
import { secureDataDir } from "./secure-data-dir.ts";
import { shutdownStep } from "./shutdown-step.ts";
import { startAuditPruning } from "./audit/prune-audit-events.ts";
import { createAccess } from "./auth/access.ts";
import { CleanupJobs } from "./cleanup/cleanup-jobs.ts";
import { interruptCleanups } from "./cleanup/interrupt-cleanups.ts";
import { DependencyHealth } from "./health/dependency-health.ts";
import { watchDatabase } from "./health/watch-database.ts";

export type PageHandler = RequestHandler;
export type StartOptions = { env: Env; log?: Logger; pages?: PageHandler; source?: ImageSource };
export type RunningPrecache = {
  url: string;
  context: AppContext;
  server: http.Server;
  localAgent: PrecacheAgent | null;
  close(): Promise<void>;
};

const RESYNC_MS = 5 * 60_000;

export async function startPrecache(options: StartOptions): Promise<RunningPrecache> {
  const { env } = options;
  const log = options.log ?? createLogger(env.LOG_LEVEL);
  armFailPoints(env.PRECACHE_FAIL_POINT_FILE);
  const secrets = loadSecrets(env, log);
  const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.dataDir });
  log.info({ database: database.driver.kind }, "database ready");
  secureDataDir(env, log);
  const source: ImageSource =
    options.source ?? createGlanceSource(env) ?? new DirectorySource(env.imageDir, path.join(env.dataDir, "image-hashes.json"));
  if (source.kind === "directory") {
    const seeded = await seedSampleImage(env.imageDir);
    if (seeded) log.info({ file: seeded }, "created a sample image so there is something to publish");
  }
  const access = createAccess(env, database.prisma);
  const health = new DependencyHealth(["database", "imageSource", ...(source.usesKeystone ? (["keystone"] as const) : [])]);
  const databaseWatch = watchDatabase(database.prisma, health);
  const events = new DomainEvents();
  // With Postgres, any number of servers may share the database (PGlite serves one process).
  const isClustered = Boolean(env.DATABASE_URL);
  const instances = new ServerInstances({
    db: () => context.db,
    log,
    databaseUrl: env.DATABASE_URL ?? null,
    onRevived: async () => {
      await context.db.hypervisor.updateMany({
        where: { name: { in: context.agents.onlineNames() } },
        data: { online: true, connectedTo: instances.id },
      });
    },
  });
  health.serverId = instances.id;
  const services = {
    env,
    log,
    db: database.prisma,
    source,
    secrets,
    access,
    publicUrl: "",
    instanceId: instances.id,
    agents: new AgentHub(log),
    health,
    events,
    tasks: new Set<Promise<unknown>>(),
    publishing: new Map<string, Promise<unknown>>(),
    cleanups: new CleanupJobs(log),
  };
  // The same object, completed: the cache and the progress buffer read `db` from it at each
  // query, so a client swapped on the context (tests fake an outage that way) reaches them too.
  const context: AppContext = Object.assign(services, { cache: new ReadCache(services), progress: new ProgressBuffer(services) });
  const ui = new UiHub(log, { secrets, access });
  const scheduler = new RolloutScheduler(
    context,
    env.PRECACHE_RECONCILE_SECONDS * 1000,
    isClustered ? remotePresenceReader(context, instances) : undefined,
  );
  const pushSettings = () =>
    void pushAgentSettings(context).catch((error: Error) => log.warn({ error: error.message }, "agent settings not pushed"));
  wireSubscribers(events, { ui, cache: context.cache, scheduler, pushAgentSettings: pushSettings });

  const server = http.createServer(createRequestListener(context, env.artifactDir, options.pages));
  // Messages larger than the largest legitimate one (a hello at the inventory cap) are dropped
  // with their connection before they are parsed, authenticated or not.
  const io = new SocketServer(server, {
    serveClient: false,
    pingInterval: 20_000,
    pingTimeout: 30_000,
    maxHttpBufferSize: MAX_AGENT_MESSAGE_BYTES,
  });
  const adapter = isClustered
    ? await attachClusterAdapter(io, { databaseUrl: env.DATABASE_URL!, redisUrl: env.PRECACHE_REDIS_URL, log })
    : null;
  const remoteCommands = adapter
    ? new RemoteCommands(io, {
        holds: (name) => context.agents.isConnectedHere(name),
        deliver: (name, event, payload, timeoutMs) => context.agents.deliverLocal(name, event, payload as never, timeoutMs),
        keyFor: (name, imageId, artifactUrl) => keyForNode(context, name, imageId, artifactUrl),
      })
    : null;
  if (adapter && remoteCommands) {
    context.agents.enableCluster(remoteCommands);
    log.info({ adapter: adapter.kind, server: instances.id }, "sharing agents and dashboards with other servers on this database");
  }
  // Nothing is served on the default namespace: refuse it rather than hold idle, unauthenticated sockets.
  io.of("/").use((_socket, next) => next(new Error("unauthorized: connect to /agent or /ui")));
  // Socket.io keeps each session's first HTTP request (for express-session and the like). Once a
  // socket has joined a namespace its handshake holds what we read (headers, auth, address), so
  // the request goes: at 10,000 agents that is tens of megabytes (socket.io's memory-usage guide).
  const dropRequest = (socket: { conn: { request: unknown } }) => void (socket.conn.request = null);
  io.of(AGENT_NAMESPACE).on("connection", dropRequest);
  io.of(UI_NAMESPACE).on("connection", dropRequest);
  context.agents.attach(io, agentHandlers(context));
  await instances.start();
  // Nobody is connected here yet: nodes of servers that are not running are offline (a lone
  // server: every node), before the dashboard's snapshot is first read.
  // (PGlite: this is the only server, whatever an earlier process's heartbeat row says.)
  const running = isClustered ? [...(await instances.aliveIds())] : [instances.id];
  await markServersAgentsOffline(context, { connectedToNotIn: running });
  ui.attach(io, () => uiSnapshot(context));
  const countServers = async () => (await instances.aliveIds()).size;
  const stopRelay = adapter ? startClusterRelay({ io, events, ui, access, log, countServers }) : () => undefined;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.PORT, env.HOST, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  context.publicUrl = env.PRECACHE_PUBLIC_URL ?? (await defaultPublicUrl(env.HOST, port));
  log.info({ port, publicUrl: context.publicUrl, source: source.describe() }, "precache listening");
  // Where this server itself answers (several may share one public URL behind a load balancer).
  await instances.announce(await defaultPublicUrl(env.HOST, port));

  await syncImages(context).catch((error: Error) =>
    log.error({ error: error.message, source: source.describe() }, "image sync failed; will retry"),
  );
  await rewrapArtifactKeys(context);
  // Another running server's publish is its own to finish.
  await resumeInterruptedPublishes(context, isClustered ? await instances.aliveIds() : null);
  // A cleanup whose server is gone is not resumed (see interrupt-cleanups.ts): its unanswered nodes
  // say so. Not this server's own: one may have been started since it began to listen.
  await interruptCleanups(context, { alive: isClustered ? await instances.aliveIds() : new Set([instances.id]) });
  context.progress.start();
  // Only the leader schedules: with several servers on one Postgres, exactly one at a time.
  let duties: { stop(): Promise<void> } | null = null;
  const leadership = new Leadership({
    databaseUrl: env.DATABASE_URL ?? null,
    log,
    onGain: () => {
      context.health.isLeader = true;
      if (isClustered) duties = startLeaderDuties(context, instances);
      scheduler.start();
    },
    onLose: async () => {
      context.health.isLeader = false;
      await duties?.stop();
      duties = null;
      await scheduler.stop();
    },
  });
  await leadership.start();
  const auditPruning = await startAuditPruning(context, env.PRECACHE_AUDIT_RETENTION_DAYS);
  const resync = setInterval(
    () => void syncImages(context).catch((error: Error) => log.warn({ error: error.message }, "image sync failed")),
    RESYNC_MS,
  );
  resync.unref();

  let localAgent: PrecacheAgent | null = null;
  if (env.PRECACHE_LOCAL_AGENT ?? !env.hasGlance) {
    const proxies = parseProxyList(env.PRECACHE_LOCAL_AGENT_PROXIES);
    localAgent = new PrecacheAgent(
      {
        server: `http://127.0.0.1:${port}`,
        token: secrets.agentToken,
        name: os.hostname(),
        cacheDir: path.join(env.dataDir, "nova-cache"),
        proxies,
        allowDirect: proxies.length === 0,
        // Stands in for a nova with its defaults: non-raw images are converted (needs qemu-img).
        forceRawImages: parseBoolean(process.env.PRECACHE_FORCE_RAW_IMAGES, "PRECACHE_FORCE_RAW_IMAGES", true),
        progressIntervalMs: 1000,
        rescanIntervalMs: 5 * 60_000,
      },
      { log },
    );
    await localAgent.start();
  }

  return {
    url: `http://127.0.0.1:${port}`,
    context,
    server,
    localAgent,
    async close() {
      clearInterval(resync);
      databaseWatch.stop();
      auditPruning.stop();
      await shutdownStep(log, "local agent", async () => localAgent?.stop());
      // Before the sockets close: a node that answers now is still recorded; the rest are interrupted.
      await shutdownStep(log, "cleanups", () => context.cleanups.stop());
      await shutdownStep(log, "scheduler", () => leadership.stop());
      await shutdownStep(log, "progress flush", () => context.progress.stop());
      stopRelay();
      remoteCommands?.stop();
      context.agents.close();
      ui.close();
      // io.close() also closes the HTTP server, which waits for open connections (browsers,
      // half-open agent handshakes): give it a moment, then cut what is left.
      const ioClosed = new Promise<void>((resolve) => io.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.race([ioClosed, sleep(3000, undefined, { ref: false })]);
      server.closeAllConnections();
      await shutdownStep(log, "background tasks", () => Promise.allSettled([...context.tasks]));
      // Our agents are moving to other servers (whose hellos mark them online there); the rest are offline.
      await shutdownStep(log, "presence", async () => {
        await markServersAgentsOffline(context, { connectedToIn: [instances.id] });
        await instances.stop();
      });
      await shutdownStep(log, "cluster adapter", async () => adapter?.close());
      await shutdownStep(log, "database", () => database.close());
      secureDataDir(env, log); // files the database created while running
    },
  };
}

async function defaultPublicUrl(host: string, port: number): Promise<string> {
  if (host !== "0.0.0.0" && host !== "::") return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const name = os.hostname();
  const resolves = await dns.lookup(name).then(
    () => true,
    () => false,
  );
  return `http://${resolves ? name : "127.0.0.1"}:${port}`;
}
