// Many real agents in one process: one PrecacheAgent per hypervisor, each with its own name,
// cache dir and Socket.io connection, downloading for real through the proxies it is given.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { PrecacheAgent } from "../../agent/precache-agent.ts";

export type Fleet = { agents: PrecacheAgent[]; root: string; stop(): Promise<void> };

export async function startFleet(options: {
  server: string;
  token: string;
  count: number;
  groups: string[];
  batch?: number;
}): Promise<Fleet> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "precache-fleet-"));
  const log = pino({ level: "silent" });
  const agents = Array.from({ length: options.count }, (_, index) => {
    const name = `hv-${String(index).padStart(5, "0")}`;
    return new PrecacheAgent(
      {
        server: options.server,
        token: options.token,
        name,
        cacheDir: path.join(root, name),
        proxies: [],
        allowDirect: false,
        forceRawImages: true,
        group: options.groups[index % options.groups.length],
        progressIntervalMs: 1000,
        rescanIntervalMs: 10 * 60_000,
      },
      { log },
    );
  });
  const batch = options.batch ?? 100;
  for (let start = 0; start < agents.length; start += batch) {
    const slice = agents.slice(start, start + batch);
    await Promise.all(slice.map((agent) => agent.start()));
    await Promise.all(slice.map((agent) => agent.whenReady()));
  }
  return {
    agents,
    root,
    async stop() {
      await Promise.allSettled(agents.map((agent) => agent.stop()));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
