// Peer-tier rollouts as the peer tests drive them: start one, wait for a node or for the end.
import { expect, vi } from "vitest";
import type { TestServer } from "./test-server.ts";

export function peerRollouts(server: () => TestServer, imageId: () => string) {
  const view = async (id: string) => (await server().api("GET", `/api/rollouts/${id}`)).body.rollout;
  return {
    view,
    async start(hypervisors: string[]): Promise<string> {
      const created = await server().api("POST", "/api/rollouts", { imageId: imageId(), hypervisors, source: "peers" });
      expect(created.status).toBe(201);
      return created.body.rollout.id;
    },
    /** Resolves once `name` is done in rollout `id` (a holder, for the nodes after it). */
    nodeDone: (id: string, name: string) =>
      vi.waitFor(
        async () => {
          const node = (await view(id)).hypervisors.find((entry: { name: string }) => entry.name === name);
          if (node?.state !== "done") throw new Error(`${name} ${node?.state}`);
        },
        { timeout: 60_000, interval: 200 },
      ),
    finished: (id: string, timeout = 60_000) =>
      vi.waitFor(
        async () => {
          const current = await view(id);
          if (current.state === "running") throw new Error(`still running: ${JSON.stringify(current.counts)}`);
          return current;
        },
        { timeout, interval: 200 },
      ),
  };
}
