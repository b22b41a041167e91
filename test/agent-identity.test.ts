// Per-node agent identity (issue 8, finding 3): the enrolment token enrols a name once, the node
// then connects with its own credential; the token cannot take over an enrolled name; one name per
// connection; no ghosts; results only for dispatched targets; revoke and reset. On PGlite and Postgres.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialFile, defaultStateDir } from "../agent/credential-store.ts";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import { hashAgentSecret } from "../server/agents/agent-secret.ts";
import { postgresSkipReason, postgresTestUrl } from "./support/databases.ts";
import { connectRawAgent, refusalOf } from "./support/raw-agent.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { AGENT_TOKEN, publishAndWait, startTestServer, waitFor, type TestServer } from "./support/test-server.ts";

type Backend = { name: string; skip: string | null; vars(): Promise<{ vars: Record<string, string>; drop(): Promise<void> }> };
const backends: Backend[] = [
  { name: "pglite", skip: null, vars: async () => ({ vars: {}, drop: async () => undefined }) },
  {
    name: "postgres",
    skip: postgresSkipReason(),
    async vars() {
      const database = await postgresTestUrl();
      return { vars: { DATABASE_URL: database.url }, drop: database.drop };
    },
  },
];

const hypervisor = async (server: TestServer, name: string) =>
  (await server.api("GET", "/api/hypervisors")).body.hypervisors.find((h: { name: string }) => h.name === name);
const agentView = async (server: TestServer, name: string) =>
  (await server.api("GET", "/api/agents")).body.agents.find((a: { name: string }) => a.name === name);
const storedCredential = (agent: PrecacheAgent) =>
  JSON.parse(fs.readFileSync(credentialFile(agent.stateDir(), agent.config.name), "utf8")).credential as string;

for (const backend of backends) {
  describe.skipIf(backend.skip !== null)(`agent identity [${backend.name}]`, () => {
    let server: TestServer;
    let vars: Record<string, string>;
    let drop: () => Promise<void>;
    let dataDir: string;
    const agents: PrecacheAgent[] = [];
    const start = async (name: string, options: Parameters<typeof startTestAgent>[2] = {}) => {
      const agent = await startTestAgent(server.url, name, options);
      agents.push(agent);
      return agent;
    };

    beforeAll(async () => {
      ({ vars, drop } = await backend.vars());
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-identity-"));
      server = await startTestServer({ ...vars, PRECACHE_DATA_DIR: dataDir });
    });
    afterAll(async () => {
      await Promise.allSettled(agents.map((agent) => agent.stop()));
      await server?.close();
      await drop?.();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it("enrols with the token, keeps the credential 0600 in a 0700 state dir, and reconnects with it after a server restart", async () => {
      const agent = await start("hv-enrol");
      const stateDir = defaultStateDir(agent.config.cacheDir);
      expect(agent.stateDir()).toBe(stateDir);
      const file = credentialFile(stateDir, "hv-enrol");
      expect(fs.statSync(stateDir).mode & 0o777).toBe(0o700);
      // The cache dir keeps only what nova looks for.
      expect(fs.readdirSync(agent.config.cacheDir)).toEqual([]);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const secret = storedCredential(agent);
      const row = await server.context.db.agentCredential.findUnique({ where: { hypervisorName: "hv-enrol" } });
      expect(row).toMatchObject({
        secretHash: hashAgentSecret(secret),
        enrolledFrom: expect.stringContaining("127.0.0.1"),
        revokedAt: null,
      });
      expect(row!.secretHash).not.toContain(secret);
      const audit = await server.context.db.auditEvent.findMany({ where: { action: "agent.enrol", target: "hv-enrol" } });
      expect(audit).toMatchObject([{ actor: "agent:hv-enrol", outcome: "ok", address: expect.stringContaining("127.0.0.1") }]);

      // The restarted server has another enrolment token: only the credential can bring the node back.
      const port = new URL(server.url).port;
      await server.close();
      server = await startTestServer({ ...vars, PRECACHE_DATA_DIR: dataDir, PORT: port, PRECACHE_AGENT_TOKEN: "a-new-enrolment-token" });
      await expect
        .poll(async () => (await hypervisor(server, "hv-enrol"))?.online, {
          message: "hv-enrol back online with its credential",
          timeout: 20_000,
        })
        .toBe(true);
      expect(storedCredential(agent)).toBe(secret);
      expect(await agentView(server, "hv-enrol")).toMatchObject({
        name: "hv-enrol",
        online: true,
        revoked: false,
        lastSeenFrom: expect.stringContaining("127.0.0.1"),
      });
      await server.close();
      server = await startTestServer({ ...vars, PRECACHE_DATA_DIR: dataDir, PORT: port });
    });

    it("two agents with different cache dirs on one machine keep separate credentials", async () => {
      const [a, b] = await Promise.all([start("hv-twin-a"), start("hv-twin-b")]);
      expect(a.stateDir()).not.toBe(b.stateDir());
      expect(storedCredential(a)).not.toBe(storedCredential(b));
      expect(fs.readdirSync(a.stateDir())).toEqual(["credential-hv-twin-a.json"]);
      expect(fs.readdirSync(b.stateDir())).toEqual(["credential-hv-twin-b.json"]);
    });

    it("the enrolment token (or a guessed credential) cannot take over an enrolled name; the real node stays connected", async () => {
      const real = await start("hv-real");
      const socketBefore = real.socket()?.id;
      expect(await refusalOf(server.url, { name: "hv-real", token: AGENT_TOKEN })).toBe("BAD_CREDENTIAL");
      expect(await refusalOf(server.url, { name: "hv-real", credential: "guessed" })).toBe("BAD_CREDENTIAL");
      expect(server.context.agents.isOnline("hv-real")).toBe(true);
      expect(real.socket()?.id).toBe(socketBefore);
    });

    it("a stolen-token client cannot forge results for a target not dispatched to it; the real node keeps receiving commands", async () => {
      await start("hv-real-2");
      // The thief enrols a name of its own, and reports success for the real node's rollout.
      const thief = await connectRawAgent(server.url, { name: "hv-thief", token: AGENT_TOKEN });
      expect((await thief.hello("hv-thief")).ok).toBe(true);
      const image = (await server.api("GET", "/api/images")).body.images[0];
      await publishAndWait(server, image.id);
      const created = await server.api("POST", "/api/rollouts", { imageId: image.id, hypervisors: ["hv-real-2"] });
      const rolloutId = created.body.rollout.id;
      thief.socket.emit("download:progress", { rolloutId, imageId: image.id, bytes: 1, totalBytes: image.size });
      thief.socket.emit("download:finished", { rolloutId, imageId: image.id, ok: true, bytes: image.size, seconds: 1 });
      thief.socket.emit("download:finished", {
        rolloutId: "00000000-0000-4000-8000-000000000000",
        imageId: image.id,
        ok: false,
        bytes: 0,
        seconds: 1,
        error: { code: "X", message: "y" },
      });
      const rollout = await waitFor("the real node's rollout", async () => {
        const view = (await server.api("GET", `/api/rollouts/${rolloutId}`)).body.rollout;
        return view.state === "running" ? undefined : view;
      });
      expect(rollout).toMatchObject({ state: "done", counts: { done: 1 } });
      expect((await hypervisor(server, "hv-real-2")).images).toMatchObject([{ imageId: image.id, verified: true }]);
      expect((await hypervisor(server, "hv-thief")).images).toEqual([]);
      thief.close();
    });

    it("one connection speaks for one name: no second hello, no hello as another name", async () => {
      const raw = await connectRawAgent(server.url, { name: "hv-one", token: AGENT_TOKEN });
      expect(await raw.hello("hv-other")).toMatchObject({ ok: false, error: { code: "NAME_MISMATCH" } });
      expect((await raw.hello("hv-one")).ok).toBe(true);
      expect(await raw.hello("hv-two")).toMatchObject({ ok: false, error: { code: "SECOND_HELLO" } });
      expect(await hypervisor(server, "hv-other")).toBeUndefined();
      expect(await hypervisor(server, "hv-two")).toBeUndefined();
      expect(server.context.agents.onlineNames()).not.toContain("hv-two");
      raw.close();
    });

    it("a disconnect takes the connection's name offline at once, leaving no ghost", async () => {
      const raw = await connectRawAgent(server.url, { name: "hv-leaves", token: AGENT_TOKEN });
      expect((await raw.hello("hv-leaves")).ok).toBe(true);
      await raw.hello("hv-ghost");
      expect((await hypervisor(server, "hv-leaves")).online).toBe(true);
      raw.close();
      await expect
        .poll(async () => (await hypervisor(server, "hv-leaves")).online, { message: "hv-leaves offline", timeout: 2000 })
        .toBe(false);
      expect(server.context.agents.onlineNames().filter((name) => name === "hv-leaves" || name === "hv-ghost")).toEqual([]);
      expect((await hypervisor(server, "hv-ghost"))?.online ?? false).toBe(false);
    });

    it("a name with a NUL byte is refused and registers nothing; topology and group calls still answer 200", async () => {
      expect(await refusalOf(server.url, { name: "x\u0000", token: AGENT_TOKEN })).toBe("INVALID_AUTH");
      // socket.io itself drops a CONNECT whose auth is not an object; with the wrong shape, we refuse.
      expect(await refusalOf(server.url, "junk")).toBe("CLOSED");
      expect(await refusalOf(server.url, { name: ["hv"], token: AGENT_TOKEN })).toBe("INVALID_AUTH");
      expect(await refusalOf(server.url, { name: "hv-wrong-token", token: "nope" })).toBe("BAD_TOKEN");
      const raw = await connectRawAgent(server.url, { name: "hv-nul", token: AGENT_TOKEN });
      expect(await raw.hello("x\u0000")).toMatchObject({ ok: false, error: { code: "INVALID_HELLO" } });
      const valid = await connectRawAgent(server.url, { name: "hv-valid", token: AGENT_TOKEN });
      expect((await valid.hello("hv-valid")).ok).toBe(true);
      // While that connection is still open: nothing of it is registered, and the API is whole.
      const all = (await server.api("GET", "/api/hypervisors")).body.hypervisors.map((h: { name: string }) => h.name);
      expect(all.filter((name: string) => name.includes("\u0000") || name === "hv-nul")).toEqual([]);
      expect(server.context.agents.onlineNames()).not.toContain("hv-nul");
      expect(await server.context.db.agentCredential.findMany({ where: { hypervisorName: { in: ["hv-nul", "hv-wrong-token"] } } })).toEqual(
        [],
      );
      expect((await server.api("GET", "/api/topology")).status).toBe(200);
      expect((await server.api("POST", "/api/hypervisors/hv-valid/group", { group: "rack-1" })).status).toBe(200);
      expect((await server.api("GET", "/api/hypervisors")).status).toBe(200);
      raw.close();
      valid.close();
    });

    it("two enrolments of one new name at once: exactly one gets a credential", async () => {
      const [a, b] = await Promise.all([1, 2].map(() => connectRawAgent(server.url, { name: "hv-race", token: AGENT_TOKEN })));
      const answers = await Promise.all([a.hello("hv-race"), b.hello("hv-race")]);
      const credentials = answers.filter((answer) => answer.ok && answer.data.credential);
      expect(credentials).toHaveLength(1);
      expect(answers.filter((answer) => !answer.ok)).toHaveLength(1);
      a.close();
      b.close();
    });

    it("revoke drops the node at once and keeps it out; reset lets it enrol again", async () => {
      const agent = await start("hv-revoked", { refusedRetryMs: 100 });
      const before = storedCredential(agent);
      const revoked = await server.api("POST", "/api/agents/hv-revoked/revoke");
      expect(revoked).toMatchObject({
        status: 200,
        body: { agent: { name: "hv-revoked", revoked: true, online: false, revokedBy: "token:bootstrap" } },
      });
      expect(server.context.agents.isOnline("hv-revoked")).toBe(false);
      // It keeps trying (the agent's backoff starts at 100 ms here), and keeps being refused:
      // audited once, not once per attempt.
      let attempts = 0;
      agent.socket()!.on("connect_error", () => void (attempts += 1));
      await expect.poll(() => attempts, { message: "several refused attempts", timeout: 15_000 }).toBeGreaterThanOrEqual(4);
      expect(agent.state).not.toBe("ready");
      expect((await hypervisor(server, "hv-revoked")).online).toBe(false);
      const refused = await server.context.db.auditEvent.findMany({ where: { action: "agent.refused", target: "hv-revoked" } });
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({ actor: "agent:hv-revoked", outcome: "denied", detail: { code: "REVOKED" } });
      expect(await server.context.db.auditEvent.count({ where: { action: "agent.revoke", target: "hv-revoked", outcome: "ok" } })).toBe(1);

      expect((await server.api("POST", "/api/agents/hv-revoked/reset")).status).toBe(200);
      await expect.poll(() => agent.state, { message: "hv-revoked enrolled again", timeout: 20_000 }).toBe("ready");
      expect(storedCredential(agent)).not.toBe(before);
      expect(await agentView(server, "hv-revoked")).toMatchObject({ revoked: false, online: true });
      expect(await server.context.db.auditEvent.count({ where: { action: "agent.enrol", target: "hv-revoked" } })).toBe(2);
    });

    it("revoke and reset answer 404 for unknown names and refuse malformed ones", async () => {
      expect((await server.api("POST", "/api/agents/hv-nobody/revoke")).status).toBe(404);
      expect((await server.api("POST", "/api/agents/hv-nobody/reset")).status).toBe(404);
      expect((await server.api("POST", "/api/agents/x%00/revoke")).status).toBe(422);
      expect((await server.api("POST", "/api/agents/%zz/reset")).status).toBe(400);
      const anonymous = await fetch(`${server.url}/api/agents`);
      expect(anonymous.status).toBe(401);
    });
  });
}

describe("the in-process local agent", () => {
  it("enrols at the first start and reconnects with its stored credential after restarts", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-local-agent-"));
    try {
      for (let run = 0; run < 2; run++) {
        const server = await startTestServer({ PRECACHE_DATA_DIR: dataDir, PRECACHE_LOCAL_AGENT: "1" });
        try {
          await server.localAgent!.whenReady();
          expect(fs.statSync(credentialFile(defaultStateDir(path.join(dataDir, "nova-cache")), os.hostname())).mode & 0o777).toBe(0o600);
        } finally {
          await server.close();
        }
      }
      const server = await startTestServer({ PRECACHE_DATA_DIR: dataDir, PRECACHE_LOCAL_AGENT: "0" });
      try {
        expect(await server.context.db.auditEvent.count({ where: { action: "agent.enrol" } })).toBe(1);
        expect(await server.context.db.auditEvent.count({ where: { action: "agent.refused" } })).toBe(0);
      } finally {
        await server.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
