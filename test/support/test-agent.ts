// Real agents (real Socket.io, real downloads) with their own cache dirs, for one test process.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { PrecacheAgent } from "../../agent/precache-agent.ts";
import { AGENT_TOKEN } from "./test-server.ts";

export async function startTestAgent(serverUrl: string, name: string, options: { proxies?: string[]; cacheDir?: string; allowDirect?: boolean; forceRawImages?: boolean } = {}) {
  const cacheDir = options.cacheDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `precache-${name}-`));
  const agent = new PrecacheAgent(
    {
      server: serverUrl,
      token: AGENT_TOKEN,
      name,
      cacheDir,
      proxies: options.proxies ?? [],
      allowDirect: options.allowDirect ?? (options.proxies ?? []).length === 0,
      forceRawImages: options.forceRawImages ?? true,
      progressIntervalMs: 200,
      rescanIntervalMs: 60_000,
    },
    { log: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }) },
  );
  await agent.start();
  await agent.whenReady();
  return agent;
}
