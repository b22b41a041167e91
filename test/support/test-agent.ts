// Real agents (real Socket.io, real downloads) with their own cache dirs, for one test process.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import type { AgentConfig } from "../../agent/agent-config.ts";
import { PrecacheAgent } from "../../agent/precache-agent.ts";
import type { OutboxTiming } from "../../agent/result-outbox.ts";
import { AGENT_TOKEN } from "./test-server.ts";

export type TestAgentOptions = Partial<Pick<AgentConfig, "token" | "stateDir" | "caFile" | "refusedRetryMs" | "inventoryRetryMs">> & {
  proxies?: string[];
  cacheDir?: string;
  allowDirect?: boolean;
  forceRawImages?: boolean;
  /** How fast unacknowledged results are sent again (tests use short delays). */
  outboxTiming?: Partial<OutboxTiming>;
  /** Default true: resolve once the server has accepted the hello. */
  waitReady?: boolean;
  /** Join the peer tier (serve verified artifacts to the group). */
  peer?: AgentConfig["peer"];
};

export async function startTestAgent(serverUrl: string, name: string, options: TestAgentOptions = {}) {
  // In a temp dir of its own, so the state dir beside it is not left behind in /tmp.
  const cacheDir = options.cacheDir ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), `precache-${name}-`)), "_base");
  const agent = new PrecacheAgent(
    {
      server: serverUrl,
      token: "token" in options ? options.token : AGENT_TOKEN,
      name,
      cacheDir,
      ...(options.stateDir ? { stateDir: options.stateDir } : {}),
      ...(options.caFile ? { caFile: options.caFile } : {}),
      refusedRetryMs: options.refusedRetryMs ?? 500,
      ...(options.inventoryRetryMs ? { inventoryRetryMs: options.inventoryRetryMs } : {}),
      proxies: options.proxies ?? [],
      allowDirect: options.allowDirect ?? (options.proxies ?? []).length === 0,
      forceRawImages: options.forceRawImages ?? true,
      ...(options.peer ? { peer: options.peer } : {}),
      progressIntervalMs: 200,
      rescanIntervalMs: 60_000,
    },
    {
      log: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
      ...(options.outboxTiming ? { outboxTiming: options.outboxTiming } : {}),
    },
  );
  await agent.start();
  if (options.waitReady !== false) await agent.whenReady();
  return agent;
}
