// Two server processes on one Postgres behind a real haproxy (configured from docs/haproxy.cfg,
// plain round-robin, no stickiness), agent processes connecting through haproxy and spread over
// both servers, a real two-tier Squid in front of the artifacts. Started at the same moment on an
// empty database, migrations run once; an image published on one server is served by the other;
// a rollout started through the server that does not lead completes on agents of both; a
// dashboard socket on one server sees live progress of agents on the other, and so does Chromium
// on a third server that has no agent at all; the leader SIGKILLed at chosen points of a
// dispatch (frozen by a fail point right after claiming targets, right after a node acknowledged
// its command, or mid-download): agents move to the survivor, leadership moves, the rollout
// completes, every node verified, no node commanded twice and no target attempted twice.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { io as connectSocket, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseFilePath } from "../agent/download/cache-paths.ts";
import type { UiDelta } from "../protocol/ui.ts";
import { startAgentProcess, type AgentProcess } from "./support/agent-process.ts";
import { postgresSkipReason, postgresTestUrl } from "./support/databases.ts";
import { chromiumAvailable, launchChromium, signIn } from "./support/chromium.ts";
import { startLoadBalancer, type LoadBalancer } from "./support/load-balancer.ts";
import { freePort, startProductionServer } from "./support/production-server.ts";
import { startServerProcess, type ServerProcess } from "./support/server-process.ts";
import { shouldSkipSquidTests, startSquid, type RunningSquid } from "./support/squid.ts";
import { API_TOKEN, waitFor } from "./support/test-server.ts";
import { shouldSkipTlsTests } from "./support/tls-proxy.ts";

const skip =
  shouldSkipSquidTests("cluster behind haproxy") ||
  shouldSkipTlsTests("cluster behind haproxy") ||
  postgresSkipReason() !== null ||
  !chromiumAvailable();
const AGENTS = 6;
/** Where the leader dies: fail points (server/fail-points.ts) freeze it there, then SIGKILL. */
const KILL_POINTS = ["dispatch:claimed", "dispatch:acked", "mid-download"] as const;
const KILL_AT = {
  "dispatch:claimed": "after claiming targets, before sending a command",
  "dispatch:acked": "right after a node acknowledged its command",
  "mid-download": "mid-download",
};

type Image = { id: string; name: string; data: Buffer };

describe.skipIf(skip)("two servers on one Postgres behind haproxy", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "precache-cluster-"));
  let database: { url: string; drop(): Promise<void> };
  let servers: ServerProcess[] = [];
  let balancer: LoadBalancer;
  let squids: RunningSquid[] = [];
  let agents: AgentProcess[] = [];
  let images: Image[] = [];
  let sql: pg.Client;
  let shared: Record<string, string> = {};
  const failPointFile = path.join(root, "fail-point");

  beforeAll(async () => {
    database = await postgresTestUrl();
    const imageDir = path.join(root, "images");
    fs.mkdirSync(imageDir, { recursive: true });
    images = [["cluster-one.raw", 4], ...KILL_POINTS.map((point) => [`cluster-kill-${point.replace(":", "-")}.raw`, 6])].map(
      ([name, mib]) => {
        const data = crypto.randomBytes((mib as number) * 2 ** 20);
        fs.writeFileSync(path.join(imageDir, name as string), data);
        return { id: "", name: name as string, data };
      },
    );
    const balancerPort = await freePort();
    // What servers sharing a database share: the database, the artifact directory (NFS or CephFS
    // in production), the image source, and the secrets (from the environment, not generated).
    shared = {
      DATABASE_URL: database.url,
      PRECACHE_IMAGE_DIR: imageDir,
      PRECACHE_ARTIFACT_DIR: path.join(root, "artifacts"),
      PRECACHE_PUBLIC_URL: `http://127.0.0.1:${balancerPort}`,
      PRECACHE_SESSION_SECRET: "cluster-test-session-secret",
      PRECACHE_KEK: crypto.randomBytes(32).toString("base64"),
      PRECACHE_FAIL_POINT_FILE: failPointFile,
    };
    // At the same moment, on an empty database.
    servers = await Promise.all(
      ["a", "b"].map((name) => startServerProcess({ dataDir: path.join(root, `server-${name}`), vars: shared, startTimeoutMs: 90_000 })),
    );
    balancer = await startLoadBalancer(
      servers.map((server, index) => ({ name: `precache-${index}`, url: server.url })),
      balancerPort,
    );
    const tier1 = await startSquid({ name: "cluster-tier1" });
    const tier2 = await startSquid({ name: "cluster-tier2", parent: { host: "127.0.0.1", port: tier1.port } });
    squids = [tier1, tier2];
    agents = Array.from({ length: AGENTS }, (_, index) =>
      startAgentProcess({ server: balancer.url, name: `hv-cluster-${index}`, proxies: [tier2.url], root }),
    );
    sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
    const listed = (await servers[0].api("GET", "/api/images")).body.images as { id: string; name: string }[];
    for (const image of images) image.id = listed.find((entry) => entry.name === image.name)!.id;
    await waitFor(
      "every agent online",
      async () => ((await onlineByServer()).size === 2 && (await onlineCount()) === AGENTS) || undefined,
      90_000,
    );
  }, 240_000);

  afterAll(async () => {
    await Promise.allSettled(agents.map((agent) => agent.stop()));
    await Promise.allSettled(servers.map((server) => server.stop()));
    await Promise.allSettled([balancer?.stop(), ...squids.map((squid) => squid.stop())]);
    await sql?.end().catch(() => undefined);
    await database?.drop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** Online nodes by the server (its URL) holding their connection, from the database itself. */
  async function onlineByServer(): Promise<Map<string, string[]>> {
    const { rows } = await sql.query<{ name: string; url: string }>(
      `SELECT h.name, s.url FROM "Hypervisor" h JOIN "ServerInstance" s ON s.id = h."connectedTo" WHERE h.online`,
    );
    const byServer = new Map<string, string[]>();
    for (const row of rows) byServer.set(row.url, [...(byServer.get(row.url) ?? []), row.name]);
    return byServer;
  }
  const onlineCount = async () => [...(await onlineByServer()).values()].flat().length;
  const leads = async (server: ServerProcess) => ((await server.api("GET", "/api/health")).body as { leader: boolean }).leader;
  /** Internal URL of a server process, as haproxy knows it (the instance row holds the public one). */
  const serverOf = async (name: string) => {
    const { rows } = await sql.query<{ id: string }>(`SELECT "connectedTo" AS id FROM "Hypervisor" WHERE name = $1`, [name]);
    return rows[0]?.id ?? null;
  };
  const linesOf = (agent: AgentProcess, rolloutId: string, message: string) =>
    agent
      .output()
      .split("\n")
      .filter((line) => line.includes(`"msg":"${message}`) && line.includes(rolloutId))
      .map((line) => JSON.parse(line) as { time: number });
  /** Commands that started (or joined) a download; a repeat the node recognised is logged apart. */
  const requestsOf = (agent: AgentProcess, rolloutId: string) => linesOf(agent, rolloutId, "precache requested");
  const repeatsOf = (agent: AgentProcess, rolloutId: string) => linesOf(agent, rolloutId, "precache repeated");
  const verified = (image: Image) =>
    agents.filter((agent) => {
      try {
        return fs.readFileSync(baseFilePath(agent.cacheDir, image.id)).equals(image.data);
      } catch {
        return false;
      }
    }).length;

  async function publish(via: ServerProcess, image: Image): Promise<{ url: string }> {
    const answer = await via.api("POST", `/api/images/${image.id}/publish`, {});
    expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300);
    return waitFor(`${image.name} published`, async () => {
      const { artifact } = (await via.api("GET", `/api/images/${image.id}`)).body.image;
      return artifact?.state === "ready" ? artifact : undefined;
    });
  }

  async function waitRollout(via: ServerProcess, id: string, timeoutMs: number) {
    return waitFor(
      `rollout ${id} to end`,
      async () => {
        const { body } = await via.api("GET", `/api/rollouts/${id}`);
        return body.rollout.state === "running" ? undefined : body.rollout;
      },
      timeoutMs,
    );
  }

  it("ran the migrations once, though both servers started together on an empty database", async () => {
    const { rows } = await sql.query<{ migration_name: string; runs: string }>(
      `SELECT migration_name, count(*) AS runs FROM "_prisma_migrations" GROUP BY migration_name`,
    );
    const committed = fs.readdirSync(path.resolve(import.meta.dirname, "../prisma/migrations")).filter((name) => /^\d/.test(name));
    expect(rows.map((row) => row.migration_name).sort()).toEqual(committed.sort());
    expect(rows.every((row) => Number(row.runs) === 1)).toBe(true);
  });

  it("spreads agents over both servers through round-robin haproxy", async () => {
    const spread = await onlineByServer();
    console.log(`agents per server: ${[...spread.values()].map((names) => names.length).join(" + ")}`);
    expect(spread.size).toBe(2);
  });

  it("serves from one server an artifact published on the other (shared artifact directory)", async () => {
    const artifact = await publish(servers[1], images[0]);
    const direct = new URL(artifact.url);
    const fromOther = await fetch(servers[0].url + direct.pathname);
    expect(fromOther.status).toBe(200);
    const fromPublisher = await fetch(servers[1].url + direct.pathname);
    expect(Buffer.from(await fromOther.arrayBuffer()).equals(Buffer.from(await fromPublisher.arrayBuffer()))).toBe(true);
  });

  it("completes a rollout started on the server that does not lead, on agents of both; the other servers' dashboards see it live", async () => {
    const [leader, follower] = (await leads(servers[0])) ? [servers[0], servers[1]] : [servers[1], servers[0]];
    const followerId = (await sql.query<{ id: string }>(`SELECT id FROM "ServerInstance" WHERE url = $1`, [follower.url])).rows[0]?.id;
    // The follower's dashboard socket: it must see progress of agents connected to the leader.
    const seen = new Map<string, Set<string>>();
    const dashboard: Socket = connectSocket(`${follower.url}/ui`, {
      auth: { token: API_TOKEN },
      transports: ["websocket"],
      forceNew: true,
    });
    dashboard.on("state:delta", (delta: UiDelta) => {
      for (const cell of delta.cells) {
        if (cell.imageId !== images[0].id) continue;
        seen.set(cell.hypervisor, (seen.get(cell.hypervisor) ?? new Set()).add(cell.state));
      }
    });
    await waitFor("dashboard connected", () => dashboard.connected || undefined);
    // A third server with the dashboard's pages and no agent at all: what its browser shows of
    // this rollout all comes from the other two, relayed.
    const pages = await startProductionServer({
      ...shared,
      PRECACHE_DATA_DIR: path.join(root, "server-pages"),
      PRECACHE_API_TOKEN: API_TOKEN,
      PRECACHE_AGENT_TOKEN: "unused-here",
      PRECACHE_LOCAL_AGENT: "0",
    });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await signIn(page, pages.url, API_TOKEN, `/hypervisors?image=${images[0].id}`);
      const cached = () => page.getByTestId("count-cached").textContent();
      await expect.poll(cached, { timeout: 20_000 }).toBe("0");
      await page.evaluate(() => Object.assign(window, { notReloaded: true }));
      const created = await follower.api("POST", "/api/rollouts", {
        imageId: images[0].id,
        hypervisors: agents.map((agent) => agent.name),
        perProxyConcurrency: 3,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const id = created.body.rollout.id as string;
      const rollout = await waitRollout(leader, id, 90_000);
      expect(rollout).toMatchObject({ state: "done", counts: { done: AGENTS, failed: 0 } });
      expect(verified(images[0])).toBe(AGENTS);
      for (const agent of agents) expect(requestsOf(agent, id), `${agent.name} commands`).toHaveLength(1);
      const onOthers: string[] = [];
      for (const agent of agents) if ((await serverOf(agent.name)) !== followerId) onOthers.push(agent.name);
      expect(onOthers.length).toBeGreaterThan(0);
      await expect.poll(() => onOthers.filter((name) => seen.get(name)?.has("cached")).length).toBe(onOthers.length);
      // The browser on the third server counted every node cached, live (the page never reloaded).
      await expect.poll(cached, { timeout: 15_000 }).toBe(String(AGENTS));
      expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    } finally {
      dashboard.close();
      await browser.close();
      await pages.stop(); // before the next test: it must not be the one to take over leadership
    }
  }, 300_000);

  for (const [index, killAt] of KILL_POINTS.entries()) {
    it(`survives the leader's SIGKILL ${KILL_AT[killAt]}: agents move, leadership moves, the rollout completes, nothing dispatched twice`, async () => {
      const image = images[1 + index];
      await spreadAgents();
      await publish(servers[0], image);
      const [leader, survivor] = (await leads(servers[0])) ? [servers[0], servers[1]] : [servers[1], servers[0]];
      if (killAt !== "mid-download") fs.writeFileSync(failPointFile, killAt);
      const created = await survivor.api("POST", "/api/rollouts", {
        imageId: image.id,
        hypervisors: agents.map((agent) => agent.name),
        perProxyConcurrency: 2,
        bandwidthMbps: 12, // 6 MiB in about 4 s per node: the kill lands mid-rollout
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const id = created.body.rollout.id as string;
      if (killAt === "mid-download") {
        await waitFor("two nodes downloading", () =>
          agents.filter((agent) => requestsOf(agent, id).length).length >= 2 ? true : undefined,
        );
      } else {
        // Only the leader dispatches, so only it can reach the point; it froze there (SIGSTOP).
        await waitFor(`the leader frozen at ${killAt}`, () => fs.existsSync(`${failPointFile}.${leader.pid()}`) || undefined);
      }
      const killedAt = Date.now();
      await leader.kill();
      await expect.poll(() => leads(survivor), { timeout: 20_000, interval: 100 }).toBe(true);
      const leadershipMs = Date.now() - killedAt;
      const rollout = await waitRollout(survivor, id, 120_000);
      const firstDispatchAfter = Math.min(
        ...agents.flatMap((agent) => requestsOf(agent, id).map((entry) => entry.time)).filter((time) => time > killedAt),
      );
      console.log(
        `leader SIGKILL ${KILL_AT[killAt]}: leadership moved in ${leadershipMs} ms; next command ${firstDispatchAfter - killedAt} ms after the kill; ` +
          `attempts ${rollout.hypervisors.map((entry: { attempts: number }) => entry.attempts).join(",")}; ` +
          `repeats ${agents.map((agent) => repeatsOf(agent, id).length).join(",")}`,
      );
      expect(rollout).toMatchObject({ state: "done", counts: { done: AGENTS, failed: 0 } });
      expect(verified(image)).toBe(AGENTS);
      // Each node was sent one claim's command, once, and downloaded once.
      for (const agent of agents) expect(requestsOf(agent, id), `${agent.name} commands`).toHaveLength(1);
      for (const agent of agents) expect(repeatsOf(agent, id), `${agent.name} repeated commands`).toHaveLength(0);
      // Each target took one attempt; killed right after claiming, a claim the dead leader made for
      // a node of its own counts as one (its hello cannot tell a command that never left from one
      // lost in an agent restart), so such a node shows two claims, one command.
      const maxAttempts = killAt === "dispatch:claimed" ? 2 : 1;
      for (const entry of rollout.hypervisors as { name: string; attempts: number }[])
        expect(entry.attempts, `${entry.name} attempts`).toBeLessThanOrEqual(maxAttempts);
      // Every agent is now on the survivor, and the database says so.
      await expect.poll(async () => (await onlineByServer()).get(survivor.url)?.length ?? 0, { timeout: 30_000 }).toBe(AGENTS);
      // The next kill needs two servers again.
      await leader.restart();
    }, 240_000);
  }

  /** Agents on both servers: some of those on the busier one reconnect (round-robin sends them on). */
  async function spreadAgents(): Promise<void> {
    // A restarted server takes connections once haproxy's checks see it up again (about 2 s).
    const seen = new Set<string>();
    await waitFor("haproxy sends to both servers", async () => {
      const health = await fetch(`${balancer.url}/api/health`).then((response) => response.json() as Promise<{ server: string }>);
      seen.add(health.server);
      return seen.size === 2 || undefined;
    });
    for (let round = 0; round < 5 && (await onlineByServer()).size < 2; round++) {
      const byServer = await onlineByServer();
      const busiest = [...byServer.values()].sort((a, b) => b.length - a.length)[0] ?? [];
      const moving = agents.filter((agent) => busiest.slice(0, Math.ceil(busiest.length / 2)).includes(agent.name));
      await Promise.all(moving.map((agent) => agent.stop()));
      for (const agent of moving) agent.restart();
      await waitFor("every agent online again", async () => ((await onlineCount()) === AGENTS ? true : undefined), 60_000);
    }
    expect((await onlineByServer()).size, "agents on both servers").toBe(2);
  }
});
