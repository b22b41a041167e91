// Which agents are connected to other live servers sharing the database, for the leader's
// scheduler (it dispatches to every node, wherever it is connected). Read from the hypervisor
// rows each server's hellos and disconnects keep, at most once per `minGapMs`. Nodes of a server
// that just died are left out at once (its presence lock is gone): they are reconnecting.
import type { AppContext } from "../context.ts";
import type { ServerInstances } from "./server-instances.ts";

export function remotePresenceReader(
  context: Pick<AppContext, "db" | "instanceId" | "agents">,
  instances: Pick<ServerInstances, "aliveIds">,
  minGapMs = 1000,
): () => Promise<void> {
  let readAt = 0;
  let reading: Promise<void> | null = null;
  const read = async () => {
    const others = [...(await instances.aliveIds())].filter((id) => id !== context.instanceId);
    const rows = others.length
      ? await context.db.hypervisor.findMany({ where: { online: true, connectedTo: { in: others } }, select: { name: true } })
      : [];
    context.agents.setRemoteOnline(rows.map((row) => row.name));
  };
  return () => {
    if (reading) return reading;
    if (Date.now() - readAt < minGapMs) return Promise.resolve();
    reading = read().finally(() => {
      readAt = Date.now();
      reading = null;
    });
    return reading;
  };
}
