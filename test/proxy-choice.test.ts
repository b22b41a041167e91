// Which Squids an agent fetches through, in which order: its own --proxy list when it has one;
// otherwise its group's proxies as the operator listed them (the first is tried first, the next
// on failure: see squid-failover.test.ts), pushed live when the topology or its group changes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { startTestServer, type TestServer } from "./support/test-server.ts";

const proxy = (port: number) => `http://127.0.0.1:${port}`;

describe("proxy choice", () => {
  let server: TestServer;
  let grouped: PrecacheAgent;
  let ownList: PrecacheAgent;
  beforeAll(async () => {
    server = await startTestServer();
    grouped = await startTestAgent(server.url, "hv-choice-grouped");
    ownList = await startTestAgent(server.url, "hv-choice-own", { proxies: [proxy(3901), proxy(3902)] });
  });
  afterAll(async () => {
    await grouped?.stop();
    await ownList?.stop();
    await server?.close();
  });

  const setGroup = async (name: string, group: string | null) =>
    expect((await server.api("POST", `/api/hypervisors/${name}/group`, { group })).status).toBe(200);
  const setGroups = async (groups: { name: string; proxies: string[] }[]) =>
    expect((await server.api("POST", "/api/topology", { groups })).status).toBe(200);

  it("uses no proxy before the node has a group with proxies", () => {
    expect(grouped.proxies()).toEqual([]);
  });

  it("takes its group's proxies in the operator's order, and follows a change of group or list", async () => {
    await setGroups([
      { name: "rack-1", proxies: [proxy(3811), proxy(3812)] },
      { name: "rack-2", proxies: [proxy(3821)] },
    ]);
    await setGroup("hv-choice-grouped", "rack-1");
    await expect.poll(() => grouped.proxies()).toEqual([proxy(3811), proxy(3812)]);

    await setGroup("hv-choice-grouped", "rack-2");
    await expect.poll(() => grouped.proxies()).toEqual([proxy(3821)]);

    await setGroups([{ name: "rack-2", proxies: [proxy(3822), proxy(3821)] }]);
    await expect.poll(() => grouped.proxies()).toEqual([proxy(3822), proxy(3821)]);

    await setGroup("hv-choice-grouped", null);
    await expect.poll(() => grouped.proxies()).toEqual([]);
  });

  it("keeps its own --proxy list, in its order, whatever its group says", async () => {
    await setGroup("hv-choice-own", "rack-1");
    await setGroups([{ name: "rack-1", proxies: [proxy(3813)] }]);
    // The group's settings have arrived (the grouped agent, same push) and changed nothing here.
    await setGroup("hv-choice-grouped", "rack-1");
    await expect.poll(() => grouped.proxies()).toEqual([proxy(3813)]);
    expect(ownList.proxies()).toEqual([proxy(3901), proxy(3902)]);
  });
});
