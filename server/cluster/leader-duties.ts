// What the leader does for the servers sharing its database, every heartbeat: forget servers
// that stopped beating, take offline every node whose server is gone (killed, or stopped before
// its agents moved), finish the publishes such a server left half done, and mark its running
// cleanups interrupted.
import { interruptCleanups } from "../cleanup/interrupt-cleanups.ts";
import type { AppContext } from "../context.ts";
import { markServersAgentsOffline } from "../hypervisors/register-hypervisor.ts";
import { resumeInterruptedPublishes, type PublishContext } from "../publish/publish-image.ts";
import { HEARTBEAT_MS, type ServerInstances } from "./server-instances.ts";

export function startLeaderDuties(
  context: PublishContext & Pick<AppContext, "events">,
  instances: Pick<ServerInstances, "reapDead" | "aliveIds">,
  intervalMs = HEARTBEAT_MS,
): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const once = async () => {
    const dead = await instances.reapDead();
    const alive = [...(await instances.aliveIds())];
    const offline = await markServersAgentsOffline(context, { connectedToNotIn: alive });
    if (offline) context.log.warn({ nodes: offline, servers: dead }, "nodes whose server is gone marked offline");
    if (dead.length) {
      await resumeInterruptedPublishes(context, new Set(alive));
      await interruptCleanups(context, { alive: new Set(alive) });
    }
  };
  const timer = setInterval(() => {
    running = running.then(once).catch((error: Error) => context.log.warn({ error: error.message }, "leader duties failed; will retry"));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
