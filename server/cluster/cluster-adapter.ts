// The Socket.io adapter that lets servers sharing a database reach each other's sockets: commands
// to an agent connected elsewhere (with its ack), and server-to-server messages (cluster-relay).
// Postgres by default (LISTEN/NOTIFY: no component beyond the database the servers already
// share); Redis when PRECACHE_REDIS_URL is set. docs/BENCHMARKS.md (control-cluster) compares them.
import { createAdapter as createPostgresAdapter } from "@socket.io/postgres-adapter";
import { createAdapter as createRedisAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import pg from "pg";
import type { Logger } from "pino";
import type { Server } from "socket.io";

/** Peers notice a dead server after this long (the adapter's heartbeat), so acks do not wait on it. */
const HEARTBEAT_MS = 2000;
const HEARTBEAT_TIMEOUT_MS = 6000;
const ATTACHMENTS_TABLE = "socket_io_attachments";

export type ClusterAdapter = { kind: "postgres" | "redis"; close(): Promise<void> };

export async function attachClusterAdapter(
  io: Server,
  options: { databaseUrl: string; redisUrl?: string; log: Logger },
): Promise<ClusterAdapter> {
  const onError = (error: Error) => options.log.warn({ error: error.message }, "cluster adapter error");
  if (options.redisUrl) {
    const publisher = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 });
    const subscriber = publisher.duplicate();
    publisher.on("error", onError);
    subscriber.on("error", onError);
    await Promise.all([publisher.connect(), subscriber.connect()]);
    io.adapter(createRedisAdapter(publisher, subscriber, { key: "precache", requestsTimeout: 5000 }));
    return {
      kind: "redis",
      async close() {
        publisher.disconnect();
        subscriber.disconnect();
      },
    };
  }
  // One connection LISTENs; the others publish (NOTIFY, and the attachments of big messages).
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 3 });
  pool.on("error", onError);
  // The adapter keeps one client checked out to LISTEN and gives it no error listener: a database
  // restart or a terminated backend would be an uncaught exception that ends the process. Its
  // "end" then makes the adapter reconnect and LISTEN again.
  pool.on("connect", (client) => void client.on("error", onError));
  // Messages over NOTIFY's 8000-byte limit (a dashboard delta of many cells) travel through this
  // table, created by the cluster_instances migration (under the migration lock).
  io.adapter(
    createPostgresAdapter(pool, {
      channelPrefix: "precache",
      tableName: ATTACHMENTS_TABLE,
      heartbeatInterval: HEARTBEAT_MS,
      heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
      errorHandler: onError,
    }),
  );
  return {
    kind: "postgres",
    async close() {
      await pool.end().catch(() => undefined);
    },
  };
}
