// A small real deployment for fault tests: the server as a process (PGlite, or Postgres when given
// DATABASE_URL), one Squid, a few agent processes behind it, and one published random image.
// Bytes are counted where Squid hands them to agents (its access log, headers included), so
// "re-fetched" is what the agents received beyond one artifact per delivery.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { baseFilePath } from "../../agent/download/cache-paths.ts";
import { baseFileName } from "../../protocol/nova-files.ts";
import { startAgentProcess, type AgentProcess } from "./agent-process.ts";
import { startServerProcess, type ServerProcess } from "./server-process.ts";
import { startSquid, type RunningSquid } from "./squid.ts";
import { StopWaiting, waitFor } from "./test-server.ts";
import type { RolloutView } from "../../protocol/api/rollouts.ts";

export type FaultRig = {
  server: ServerProcess;
  squid: RunningSquid;
  agents: AgentProcess[];
  image: { id: string; data: Buffer; sha512: string };
  artifact: { url: string; compressedSize: number };
  /** Creates a rollout to every agent; returns its id. */
  startRollout(body?: Record<string, unknown>): Promise<string>;
  rollout(id: string): Promise<RolloutView>;
  waitRollout(id: string, timeoutMs: number): Promise<RolloutView>;
  /** Size of the agent's `.part`, 0 when there is none. */
  partBytes(agent: AgentProcess): number;
  waitOnline(names: string[], timeoutMs?: number): Promise<void>;
  /** Bytes Squid sent to agents for the artifact, and that minus one artifact per delivery. */
  deliveredBytes(deliveries: number): Promise<{ sent: number; refetched: number; requests: number }>;
  /** Per agent: "verified" when its base file is the image, byte for byte, and alone in the dir. */
  outcomes(): Record<string, string>;
  close(): Promise<void>;
};

export async function startFaultRig(options: { agents: number; imageMiB: number; vars?: Record<string, string> }): Promise<FaultRig> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "precache-faults-"));
  const dataDir = path.join(root, "server");
  fs.mkdirSync(path.join(dataDir, "images"), { recursive: true });
  // Random bytes do not compress, so the artifact is as big as the image and throttling is exact.
  const data = crypto.randomBytes(options.imageMiB * 1024 * 1024);
  fs.writeFileSync(path.join(dataDir, "images", "fault-image.raw"), data);
  const server = await startServerProcess({ dataDir, vars: options.vars });
  const squid = await startSquid({ name: "faults" });
  const agents = Array.from({ length: options.agents }, (_, index) =>
    startAgentProcess({ server: server.url, name: `hv-fault-${index}`, proxies: [squid.url], root }),
  );

  const image = (await server.api("GET", "/api/images")).body.images.find((entry: { name: string }) => entry.name === "fault-image.raw");
  await server.api("POST", `/api/images/${image.id}/publish`, {});
  const artifact = await waitFor("the artifact", async () => {
    const { artifact } = (await server.api("GET", `/api/images/${image.id}`)).body.image;
    if (artifact?.state === "failed") throw new StopWaiting(`publish failed: ${artifact.error}`);
    return artifact?.state === "ready" ? artifact : undefined;
  });

  const rig: FaultRig = {
    server,
    squid,
    agents,
    image: { id: image.id, data, sha512: image.osHashValue },
    artifact,
    async startRollout(body = {}) {
      const created = await server.api("POST", "/api/rollouts", {
        imageId: image.id,
        hypervisors: agents.map((agent) => agent.name),
        ...body,
      });
      if (created.status !== 201) throw new Error(`rollout answered ${created.status}: ${JSON.stringify(created.body)}`);
      return created.body.rollout.id;
    },
    async rollout(id) {
      return (await server.api("GET", `/api/rollouts/${id}`)).body.rollout;
    },
    async waitRollout(id, timeoutMs) {
      return waitFor(
        `rollout ${id} to end`,
        async () => {
          const view = await rig.rollout(id);
          return view.state === "running" ? undefined : view;
        },
        timeoutMs,
      );
    },
    partBytes(agent) {
      try {
        return fs.statSync(path.join(agent.cacheDir, `${baseFileName(image.id)}.part`)).size;
      } catch {
        return 0;
      }
    },
    async waitOnline(names, timeoutMs = 30_000) {
      await waitFor(
        `${names.join(", ")} online`,
        async () => {
          const { body } = await server.api("GET", "/api/hypervisors");
          const online = new Set(
            body.hypervisors.filter((entry: { online: boolean }) => entry.online).map((entry: { name: string }) => entry.name),
          );
          return names.every((name) => online.has(name)) ? true : undefined;
        },
        timeoutMs,
      );
    },
    async deliveredBytes(deliveries) {
      // Squid logs a transaction when it ends: give the last one a moment.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const entries = (await squid.accessLog()).filter((entry) => entry.url === artifact.url);
      const sent = entries.reduce((sum, entry) => sum + entry.bytes, 0);
      return { sent, refetched: sent - deliveries * artifact.compressedSize, requests: entries.length };
    },
    outcomes() {
      return Object.fromEntries(
        agents.map((agent) => {
          const entries = fs.existsSync(agent.cacheDir) ? fs.readdirSync(agent.cacheDir) : [];
          if (entries.some((name) => name.endsWith(".part"))) return [agent.name, `.part left: ${entries.join(", ")}`];
          if (!entries.includes(baseFileName(image.id))) return [agent.name, `no base file: [${entries.join(", ")}]`];
          if (entries.length !== 1) return [agent.name, `extra files: ${entries.join(", ")}`];
          return [agent.name, fs.readFileSync(baseFilePath(agent.cacheDir, image.id)).equals(data) ? "verified" : "different bytes"];
        }),
      );
    },
    async close() {
      await Promise.allSettled(agents.map((agent) => agent.stop()));
      await Promise.allSettled([server.stop(), squid.stop()]);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  await rig.waitOnline(
    agents.map((agent) => agent.name),
    60_000,
  );
  return rig;
}
