// The faults the soak benchmark injects, each a kill and a restart of a real part: the tier-2
// Squid, an agent, the server, or (Postgres only) the database refusing connections for ~10 s.
import pg from "pg";
import type { AgentProcess } from "../test/support/agent-process.ts";
import type { ServerProcess } from "../test/support/server-process.ts";
import { startSquid, type RunningSquid } from "../test/support/squid.ts";
import { sleep } from "./bench-support.ts";

export const FAULT_KINDS = ["tier2-squid-kill", "agent-kill", "server-kill", "database-refuses"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type SoakParts = {
  server: ServerProcess;
  agents: AgentProcess[];
  /** Every tier-2 instance started so far (a restart is a new instance on the same port); last is live. */
  tier2: RunningSquid[];
  tier1Port: number;
  /** Set with --postgres: the database the server uses and an admin URL on the same Postgres. */
  database: { name: string; adminUrl: string } | null;
};

export async function injectFault(kind: FaultKind, parts: SoakParts, random: () => number): Promise<string> {
  switch (kind) {
    case "tier2-squid-kill": {
      const live = parts.tier2.at(-1)!;
      await live.kill();
      await sleep(2000);
      // Same port, so agents find it where they expect it; a new cache dir, as after a lost disk.
      parts.tier2.push(await startSquid({ name: "soak-t2", port: live.port, parent: { host: "127.0.0.1", port: parts.tier1Port } }));
      return `tier-2 Squid on :${live.port}`;
    }
    case "agent-kill": {
      const agent = parts.agents[Math.floor(random() * parts.agents.length)];
      await agent.kill();
      await sleep(1000);
      agent.restart({ token: null }); // its stored credential must be enough
      return agent.name;
    }
    case "server-kill": {
      await parts.server.kill();
      await sleep(2000);
      await parts.server.restart();
      return `server on :${parts.server.port}`;
    }
    case "database-refuses": {
      const { name, adminUrl } = parts.database!;
      await admin(adminUrl, async (client) => {
        await client.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
        await client.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [name]);
      });
      await sleep(10_000);
      await admin(adminUrl, (client) => client.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`));
      return `database ${name} for 10 s`;
    }
  }
}

async function admin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
