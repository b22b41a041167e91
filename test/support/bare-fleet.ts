// A production server with only bare agents (no local agent): hypervisors in groups that accept
// every command and report nothing unless a test makes them, so rollout states are the test's.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { callApi, startProductionServer, type ProductionServer } from "./production-server.ts";
import { waitFor } from "./test-server.ts";
import { connectRawAgent, type RawAgent } from "./raw-agent.ts";

export type BareFleet = { server: ProductionServer; agents: Map<string, RawAgent> };

export async function startBareFleet(options: {
  prefix: string;
  /** Image files for the directory source, by name. */
  images: Record<string, Buffer>;
  vars: { PRECACHE_ADMIN_PASSWORD: string; PRECACHE_API_TOKEN: string; PRECACHE_AGENT_TOKEN: string };
  /** [name, group] of each hypervisor. */
  nodes: [string, string][];
}): Promise<BareFleet> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `precache-${options.prefix}-`));
  fs.mkdirSync(path.join(dataDir, "images"));
  for (const [name, bytes] of Object.entries(options.images)) fs.writeFileSync(path.join(dataDir, "images", name), bytes);
  const server = await startProductionServer({ PRECACHE_DATA_DIR: dataDir, PRECACHE_LOCAL_AGENT: "0", ...options.vars });
  const agents = new Map<string, RawAgent>();
  for (const [name, group] of options.nodes) {
    const agent = await connectRawAgent(server.url, { name, token: options.vars.PRECACHE_AGENT_TOKEN });
    // Accepts every download and never reports progress: its targets stay downloading.
    for (const command of ["image:precache", "image:abort"])
      agent.socket.on(command, (_payload: unknown, ack: (answer: unknown) => void) => ack({ ok: true }));
    const hello = await agent.hello(name, { group });
    if (!hello.ok) throw new Error(`${name}: hello refused: ${hello.error.code}: ${hello.error.message}`);
    agents.set(name, agent);
  }
  return { server, agents };
}

/** Publishes the fleet's first listed image and waits until its artifact is ready; returns its id. */
export async function publishFirstImage(server: ProductionServer, token: string): Promise<string> {
  const api = (method: string, route: string, body?: unknown) => callApi(server.url, token, method, route, body);
  const imageId = await waitFor(
    "the first image to be listed",
    async () => (await api("GET", "/api/images")).images[0]?.id as string | undefined,
  );
  await api("POST", `/api/images/${imageId}/publish`, {});
  await waitFor(
    "its artifact",
    async () => ((await api("GET", `/api/images/${imageId}`)).image.artifact?.state === "ready" ? true : undefined),
    60_000,
  );
  return imageId;
}
