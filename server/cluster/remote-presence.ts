// Which agents are connected to other servers sharing the database, for the leader's scheduler
// (it dispatches to every node, wherever it is connected). Read from the hypervisor rows that
// each server's hellos and disconnects keep, at most once per `minGapMs`.
import type { AppContext } from "../context.ts";

export function remotePresenceReader(context: Pick<AppContext, "db" | "instanceId" | "agents">, minGapMs = 1000): () => Promise<void> {
  let readAt = 0;
  let reading: Promise<void> | null = null;
  return () => {
    if (reading) return reading;
    if (Date.now() - readAt < minGapMs) return Promise.resolve();
    reading = context.db.hypervisor
      .findMany({ where: { online: true, connectedTo: { not: context.instanceId } }, select: { name: true } })
      .then((rows) => context.agents.setRemoteOnline(rows.map((row) => row.name)))
      .finally(() => {
        readAt = Date.now();
        reading = null;
      });
    return reading;
  };
}
