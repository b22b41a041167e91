// A lone server (PGlite) killed and started again at once: a node that was online and does not
// come back is offline, though the killed process's heartbeat row is still fresh.
import { afterAll, describe, expect, it } from "vitest";
import { connectRawNode } from "./support/raw-agent.ts";
import { startServerProcess, type ServerProcess } from "./support/server-process.ts";

describe("presence across a quick restart [pglite]", () => {
  let server: ServerProcess | null = null;
  afterAll(async () => server?.stop());

  it("starts with every node offline but those that say hello again", async () => {
    server = await startServerProcess();
    const node = await connectRawNode(server.url, "hv-gone");
    const online = async () =>
      (await server!.api("GET", "/api/hypervisors")).body.hypervisors.find((entry: { name: string }) => entry.name === "hv-gone")?.online;
    expect(await online()).toBe(true);
    await server.kill();
    node.close();
    await server.restart();
    expect(await online()).toBe(false);
  }, 120_000);
});
