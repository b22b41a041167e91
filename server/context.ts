// Everything a domain function may use, built once at boot (server/app.ts) in dependency order.
// Domain functions take a Pick<> of it; what they change they publish on `events`, and whoever
// reacts (the dashboard hub, the read cache, the scheduler) subscribes there, so none of those
// is a field here. Nothing in this file's imports may import it back (`npm run cycles`).
import type { Logger } from "pino";
import type { Access } from "./auth/access.ts";
import type { CleanupJobs } from "./cleanup/cleanup-jobs.ts";
import type { Db } from "./db/open-database.ts";
import type { ReadCache } from "./db/read-cache.ts";
import type { Env } from "./env.ts";
import type { EventPublisher } from "./events/domain-events.ts";
import type { ImageSource } from "./glance/source-image.ts";
import type { DependencyHealth } from "./health/dependency-health.ts";
import type { AgentHub } from "./realtime/agent-hub.ts";
import type { ProgressBuffer } from "./rollouts/progress-buffer.ts";
import type { Secrets } from "./secrets.ts";

export type AppContext = {
  env: Env;
  log: Logger;
  db: Db;
  source: ImageSource;
  secrets: Secrets;
  /** Sessions, API tokens, sign-in throttle: operator access in this process. */
  access: Access;
  /** This server process among those sharing the database (server/cluster/server-instances.ts). */
  instanceId: string;
  /** Base URL agents use to reach /artifacts (through their Squids). */
  publicUrl: string;
  agents: AgentHub;
  /** Whether the database, image source and Keystone worked the last time they were used. */
  health: DependencyHealth;
  /** Where state changes are published; only app.ts subscribes (server/events/wire-subscribers.ts). */
  events: EventPublisher;
  /** Short-lived copies of reads every agent event repeats; forgets what events say changed. */
  cache: ReadCache;
  /** Download progress, batched into the database every few seconds. */
  progress: ProgressBuffer;
  /** Background work (publishes) to await on shutdown and in tests. */
  tasks: Set<Promise<unknown>>;
  /** Publishes running in this process, by image id. */
  publishing: Map<string, Promise<unknown>>;
  /** Cleanups running in this process (stopped, and recorded interrupted, at shutdown). */
  cleanups: CleanupJobs;
};

export function track<T>(context: Pick<AppContext, "tasks">, task: Promise<T>): Promise<T> {
  context.tasks.add(task);
  void task.finally(() => context.tasks.delete(task)).catch(() => undefined);
  return task;
}
