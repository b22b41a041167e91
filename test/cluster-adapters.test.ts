// What servers sharing one Postgres tell each other, with each Socket.io adapter (Postgres
// LISTEN/NOTIFY, the default, and Redis): a command from the leader reaches a node connected to
// the other server and its ack comes back; that node's cell reaches a dashboard on the leader;
// a topology change made on the leader reaches the node's settings; a revoke on the leader
// drops the node's connection on the other server at once. Artifacts are sealed: the node gets
// its key from the server it is connected to, and the key never crosses the adapter's channel.
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { io as connectSocket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentSettings } from "../protocol/events.ts";
import type { UiDelta } from "../protocol/ui.ts";
import { postgresSkipReason, postgresTestUrl } from "./support/databases.ts";
import { connectRawNode, type RawNode } from "./support/raw-agent.ts";
import { API_TOKEN, startTestServer, waitFor, type TestServer } from "./support/test-server.ts";

const isCi = process.env.CI === "true" || process.env.CI === "1";
const redisReachable = await new Promise<boolean>((resolve) => {
  const socket = net.connect(6379, "127.0.0.1", () => resolve(!!socket.end()));
  socket.once("error", () => resolve(false));
});
const adapters = [
  { name: "postgres", vars: {} as Record<string, string>, skip: postgresSkipReason() !== null },
  {
    name: "redis",
    vars: { PRECACHE_REDIS_URL: "redis://127.0.0.1:6379" },
    skip: postgresSkipReason() !== null || (!redisReachable && !isCi),
  },
];
if (!redisReachable && !isCi) console.warn("skipping the Redis adapter case: no Redis on 127.0.0.1:6379 (under CI=true it runs and fails)");

for (const adapter of adapters) {
  describe.skipIf(adapter.skip)(`two servers on one Postgres, ${adapter.name} adapter`, () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "precache-adapters-"));
    let drop: () => Promise<void> = async () => undefined;
    let databaseUrl = "";
    let leader: TestServer;
    let follower: TestServer;
    let node: RawNode;
    const settings: AgentSettings[] = [];

    beforeAll(async () => {
      const database = await postgresTestUrl();
      drop = database.drop;
      databaseUrl = database.url;
      fs.mkdirSync(path.join(root, "images"));
      fs.writeFileSync(path.join(root, "images", "adapter.raw"), crypto.randomBytes(64 * 1024));
      const shared = {
        DATABASE_URL: database.url,
        PRECACHE_IMAGE_DIR: path.join(root, "images"),
        PRECACHE_ARTIFACT_DIR: path.join(root, "artifacts"),
        PRECACHE_SESSION_SECRET: "adapters",
        PRECACHE_KEK: crypto.randomBytes(32).toString("base64"),
        PRECACHE_ENCRYPT_ALL_ARTIFACTS: "1",
        ...adapter.vars,
      };
      const first = await startTestServer({ ...shared, PRECACHE_DATA_DIR: path.join(root, "a") });
      const second = await startTestServer({ ...shared, PRECACHE_DATA_DIR: path.join(root, "b") });
      const leads = async (server: TestServer) => (await server.api("GET", "/api/health")).body.leader as boolean;
      [leader, follower] = (await leads(first)) ? [first, second] : [second, first];
      node = await connectRawNode(follower.url, "hv-elsewhere");
      node.socket.on("settings:changed", (changed: AgentSettings) => void settings.push(changed));
    }, 60_000);

    afterAll(async () => {
      node?.close();
      await follower?.close();
      await leader?.close();
      await drop();
      fs.rmSync(root, { recursive: true, force: true });
    });

    it("the leader's command reaches a node on the other server, and the node's cell reaches the leader's dashboard", async () => {
      const cells: { state: string; bytes: number }[] = [];
      const dashboard = connectSocket(`${leader.url}/ui`, { auth: { token: API_TOKEN }, transports: ["websocket"], forceNew: true });
      dashboard.on("state:delta", (delta: UiDelta) => {
        for (const cell of delta.cells) if (cell.hypervisor === "hv-elsewhere") cells.push(cell);
      });
      try {
        const image = (await leader.api("GET", "/api/images")).body.images[0];
        await leader.api("POST", `/api/images/${image.id}/publish`, {});
        await waitFor(
          "the artifact",
          async () => (await leader.api("GET", `/api/images/${image.id}`)).body.image.artifact?.state === "ready" || undefined,
        );
        // What crosses the Postgres adapter's channel while the command goes: NOTIFY payloads, and
        // the table holding the big ones.
        const listener = new pg.Client({ connectionString: databaseUrl });
        const crossed: string[] = [];
        listener.on("error", () => undefined); // the database is dropped at the end
        await listener.connect();
        listener.on("notification", (message) => void crossed.push(message.payload ?? ""));
        await listener.query('LISTEN "precache#/agent"');
        await listener.query('LISTEN "precache#/"');
        const created = await leader.api("POST", "/api/rollouts", { imageId: image.id, hypervisors: ["hv-elsewhere"] });
        expect(created.status, JSON.stringify(created.body)).toBe(201);
        await waitFor("the command on the other server's node", () => node.commands.length > 0 || undefined, 15_000);
        expect(node.commands[0]).toMatchObject({ imageId: image.id, rolloutId: created.body.rollout.id });
        // Sealed: the node's own server unwrapped the key for it; the leader sent it none.
        const key = (node.commands[0] as { sealedKey?: string }).sealedKey ?? "";
        expect(Buffer.from(key, "base64")).toHaveLength(32);
        if (adapter.name === "postgres") {
          const stored = await listener.query<{ payload: Buffer }>("SELECT payload FROM socket_io_attachments");
          expect(crossed.length + stored.rows.length).toBeGreaterThan(0);
          expect(crossed.filter((payload) => payload.includes(key))).toEqual([]);
          expect(stored.rows.filter((row) => row.payload.includes(key))).toEqual([]);
        }
        await listener.end();
        // The ack came back through the adapter: the target is downloading with one attempt, not retried.
        const { body } = await leader.api("GET", `/api/rollouts/${created.body.rollout.id}`);
        expect(body.rollout.hypervisors[0]).toMatchObject({ state: "downloading", attempts: 1 });
        // Progress the node reports to its own server reaches the leader's dashboard.
        node.socket.emit("download:progress", { rolloutId: created.body.rollout.id, imageId: image.id, bytes: 12_345, totalBytes: 65_536 });
        await waitFor(
          "the node's progress on the leader's dashboard",
          () => cells.some((cell) => cell.bytes === 12_345) || undefined,
          10_000,
        );
      } finally {
        dashboard.close();
      }
    }, 60_000);

    it("a topology change made on the leader reaches the settings of a node on the other server", async () => {
      const proxy = "http://squid-rack-x.example:3128";
      const groups = await leader.api("POST", "/api/topology", { groups: [{ name: "rack-x", proxies: [proxy] }] });
      expect(groups.status, JSON.stringify(groups.body)).toBeLessThan(300);
      const moved = await leader.api("POST", "/api/hypervisors/hv-elsewhere/group", { group: "rack-x" });
      expect(moved.status, JSON.stringify(moved.body)).toBe(200);
      await waitFor(
        "the group's proxy in the node's settings",
        () => settings.some((changed) => changed.proxies.includes(proxy)) || undefined,
        10_000,
      );
    });

    it("a revoke on the leader drops the node's connection on the other server at once", async () => {
      const dropped = new Promise<void>((resolve) => node.socket.once("disconnect", () => resolve()));
      const answer = await leader.api("POST", "/api/agents/hv-elsewhere/revoke", {});
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      await expect(
        Promise.race([dropped.then(() => "dropped"), new Promise((resolve) => setTimeout(() => resolve("still connected"), 5000))]),
      ).resolves.toBe("dropped");
    });
  });
}
