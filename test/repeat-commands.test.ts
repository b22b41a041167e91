// A command the agent already has (same rollout, same claim) is a repeat it recognises: while
// the download runs it joins nothing new, after it finished it answers with the outcome again;
// neither starts a second download. A server that lost track of a claim (its leader died, say)
// sends the same command again, and the node must not fetch the image twice.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseFilePath } from "../agent/download/cache-paths.ts";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import type { ImagePrecache } from "../protocol/events.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { publishAndWait, startTestServer, waitFor, type TestServer } from "./support/test-server.ts";

describe("repeated precache commands", () => {
  let server: TestServer;
  let agent: PrecacheAgent;
  const received: ImagePrecache[] = [];
  const placed: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    agent = await startTestAgent(server.url, "hv-repeat");
    agent.socket()!.on("image:precache", (command: ImagePrecache) => void received.push(command));
    const log = agent.log;
    const info = log.info.bind(log);
    // Every "image placed" is a finished download: count them.
    log.info = ((object: unknown, message?: string) => {
      if (message === "image placed") placed.push(String((object as { imageId: string }).imageId));
      return info(object as object, message);
    }) as typeof log.info;
  });
  afterAll(async () => {
    await agent?.stop();
    await server?.close();
    if (agent) fs.rmSync(agent.config.cacheDir, { recursive: true, force: true });
  });

  it("a repeat while running and after finishing starts no second download; the outcome is told again", async () => {
    const image = (await server.api("GET", "/api/images")).body.images[0];
    await publishAndWait(server, image.id);
    // 16 Mbit/s: the sample image (about 10 MiB compressed) takes seconds, so the first repeat lands mid-download.
    const created = await server.api("POST", "/api/rollouts", { imageId: image.id, hypervisors: ["hv-repeat"], bandwidthMbps: 16 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const command = await waitFor("the precache command", () => received[0]);
    expect(command.claim).toBe(1);
    await waitFor("the download running", () => agent.downloads.get(image.id));
    const whileRunning = await server.context.agents.send("hv-repeat", "image:precache", command);
    expect(whileRunning).toEqual({ ok: true, data: { accepted: true } });
    // A newer claim of the same rollout while it runs (the server lost the first one's answer):
    // this download answers it too, so a later repeat of claim 2 is a repeat as well.
    expect(await server.context.agents.send("hv-repeat", "image:precache", { ...command, claim: 2 })).toEqual({
      ok: true,
      data: { accepted: true },
    });
    expect(agent.downloads.get(image.id)?.rolloutIds).toEqual(new Set([command.rolloutId]));
    await waitFor(
      "rollout done",
      async () => {
        const { body } = await server.api("GET", `/api/rollouts/${command.rolloutId}`);
        return body.rollout.state === "done" || undefined;
      },
      60_000,
    );
    const file = baseFilePath(agent.config.cacheDir, image.id);
    const { ino } = fs.statSync(file);
    await waitFor("results acknowledged", () => agent.unacknowledgedResults().length === 0 || undefined);

    const afterFinish = await server.context.agents.send("hv-repeat", "image:precache", { ...command, claim: 2 });
    expect(afterFinish).toEqual({ ok: true, data: { accepted: true } });
    expect(agent.downloads.size, "no download started for the repeat").toBe(0);
    // Told again (a new result id), acknowledged; it changes nothing on the done target.
    await waitFor("repeat's result acknowledged", () => agent.unacknowledgedResults().length === 0 || undefined);
    expect(placed).toEqual([image.id]);
    expect(fs.statSync(file).ino, "the placed file is the first download's").toBe(ino);
    const { body } = await server.api("GET", `/api/rollouts/${command.rolloutId}`);
    expect(body.rollout).toMatchObject({ state: "done", counts: { done: 1 } });
    expect(body.rollout.hypervisors[0]).toMatchObject({ attempts: 1 });

    // A new claim of the same rollout (the server decided to fetch again) is not a repeat.
    const fresh = await server.context.agents.send("hv-repeat", "image:precache", { ...command, claim: 3 });
    expect(fresh).toEqual({ ok: true, data: { accepted: true } });
    await waitFor("the new claim's download placed", () => placed.length === 2 || undefined, 60_000);
  }, 120_000);
});
