// Findings 5 and 10 (sockets): inventories are bounded and looked up in one query, messages
// larger than the largest legitimate one are dropped unparsed, and nothing connects without
// authentication, on any namespace.
import crypto from "node:crypto";
import { io, Manager } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseFileName } from "../protocol/nova-files.ts";
import { MAX_AGENT_MESSAGE_BYTES, MAX_INVENTORY_FILES, type CachedFile } from "../protocol/events.ts";
import { connectAgent, helloFor, sayHello } from "./fuzz/agent-socket.ts";
import { AGENT_TOKEN, startTestServer, waitFor, type TestServer } from "./support/test-server.ts";

const unknownFiles = (count: number): CachedFile[] =>
  Array.from({ length: count }, () => ({
    fileName: crypto.randomBytes(20).toString("hex"),
    bytes: 1_000_000_000_000,
    mtimeMs: 1_712_345_678_901.1235,
  }));

describe("agent sockets", () => {
  let server: TestServer;
  let sample: { id: string; size: number };

  beforeAll(async () => {
    server = await startTestServer();
    sample = (await server.api("GET", "/api/images")).body.images[0];
  });
  afterAll(async () => server?.close());

  it("refuses a client on the default namespace /", async () => {
    const socket = io(server.url, { transports: ["websocket"], reconnection: false, auth: { token: AGENT_TOKEN } });
    const outcome = await new Promise<string>((resolve) => {
      socket.once("connect", () => resolve("connected"));
      socket.once("connect_error", (error) => resolve(`refused: ${error.message}`));
    });
    socket.close();
    expect(outcome).toMatch(/^refused: unauthorized/);
  });

  it("refuses /agent without the token", async () => {
    await expect(connectAgent(server.url, "hv-no-token", "wrong-token")).rejects.toThrow(/unauthorized/);
  });

  it("closes an unauthenticated connection whose 3.5 MB connect packet would otherwise be parsed", async () => {
    const manager = new Manager(server.url, { transports: ["websocket"], reconnection: false, autoConnect: false });
    const engine = await new Promise<NonNullable<typeof manager.engine>>((resolve, reject) => {
      manager.open((error) => (error ? reject(error) : resolve(manager.engine!)));
    });
    // A Socket.io CONNECT to /agent whose auth is 3.5 MB: parsed, it would reach the token check
    // and be answered with a connect error on a connection that stays open.
    const outcome = new Promise<string>((resolve) => {
      engine.once("close", () => resolve("closed"));
      engine.on("message", (data: unknown) => String(data).startsWith("4/agent") && resolve("parsed and refused by the token check"));
      setTimeout(() => resolve("still open after 5 s"), 5000);
    });
    engine.send(`0/agent,${JSON.stringify({ token: "x".repeat(3_500_000) })}`);
    expect(await outcome).toBe("closed");
    manager.engine?.close();
  });

  it("drops an agent's 3.5 MB hello (over the cap) with its connection, unparsed: nothing is registered", async () => {
    const agent = await connectAgent(server.url, "hv-huge", AGENT_TOKEN);
    const hello = helloFor("hv-huge", { inventory: unknownFiles(33_000) });
    const bytes = Buffer.byteLength(JSON.stringify(hello));
    expect(bytes).toBeGreaterThan(MAX_AGENT_MESSAGE_BYTES);
    expect(bytes).toBeLessThan(4 * 1024 * 1024); // under the old limit, which parsed and registered it
    const answer = await sayHello(agent, hello);
    agent.close();
    expect(answer).toHaveProperty("disconnected");
    expect((await server.api("GET", "/api/hypervisors/hv-huge")).status).toBe(404);
  });

  it("refuses an inventory over the cap that still fits in a message", async () => {
    const agent = await connectAgent(server.url, "hv-over-cap", AGENT_TOKEN);
    const files = Array.from({ length: MAX_INVENTORY_FILES + 1 }, (_, i) => ({
      fileName: i.toString(16).padStart(40, "0"),
      bytes: 1,
      mtimeMs: 1,
    }));
    const answer = await sayHello(agent, helloFor("hv-over-cap", { inventory: files }));
    agent.close();
    expect(answer).toMatchObject({ ok: false, error: { code: "INVALID_HELLO" } });
  });

  it("a hello at the cap, with every field at its longest, fits in one message and is accepted", async () => {
    const agent = await connectAgent(server.url, "hv-longest", AGENT_TOKEN);
    const hello = helloFor("hv-longest", {
      inventory: unknownFiles(MAX_INVENTORY_FILES).map((file) => ({
        ...file,
        bytes: Number.MAX_SAFE_INTEGER,
        mtimeMs: -9_999_999_999_999.123,
      })),
      active: Array.from({ length: 100 }, () => ({
        rolloutId: crypto.randomUUID(),
        imageId: "i".repeat(128),
        bytes: Number.MAX_SAFE_INTEGER,
      })),
      proxies: Array.from({ length: 16 }, () => `http://${"p".repeat(2030)}:3128`),
      cacheDir: "\u0001".repeat(4096),
      version: "\u0001".repeat(64),
      group: "\u{1F600}".repeat(64),
    });
    const bytes = Buffer.byteLength(JSON.stringify(hello));
    console.log(`longest hello: ${bytes} bytes of ${MAX_AGENT_MESSAGE_BYTES} allowed`);
    expect(bytes).toBeLessThan(MAX_AGENT_MESSAGE_BYTES - 1024);
    const answer = await sayHello(agent, hello, 30_000);
    agent.close();
    expect(answer).toMatchObject({ ok: true });
  });

  it("a 20,000-file inventory of unknown names is reconciled in a few queries while /api/health answers", async () => {
    const agent = await connectAgent(server.url, "hv-many-files", AGENT_TOKEN);
    expect(await sayHello(agent, helloFor("hv-many-files"))).toMatchObject({ ok: true });
    const files = [
      ...unknownFiles(MAX_INVENTORY_FILES - 1),
      { fileName: baseFileName(sample.id), bytes: sample.size, mtimeMs: Date.now() },
    ];
    let slowestHealthMs = 0;
    let isMeasuring = true;
    const pings = (async () => {
      while (isMeasuring) {
        const started = performance.now();
        expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
        slowestHealthMs = Math.max(slowestHealthMs, performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const started = performance.now();
    agent.socket.emit("inventory:reported", { freeBytes: 1e12, inventory: files });
    await waitFor(
      "the known file among 20,000 to show as cached",
      async () => {
        const { body } = await server.api("GET", "/api/hypervisors/hv-many-files");
        return body.hypervisor.images.some((image: { imageId: string }) => image.imageId === sample.id) ? true : undefined;
      },
      60_000,
    );
    const reconciledMs = performance.now() - started;
    isMeasuring = false;
    await pings;
    agent.close();
    console.log(
      `20,000-file inventory reconciled in ${reconciledMs.toFixed(0)} ms; slowest /api/health meanwhile ${slowestHealthMs.toFixed(0)} ms`,
    );
    // ~300-600 ms measured on a 2-core machine. The bounds catch what this guards against (a query
    // per file: tens of seconds; a loop blocked for seconds), not a busy machine (a CI run beside
    // other work saw health take 527 ms against the 500 ms this once demanded).
    expect(reconciledMs).toBeLessThan(10_000);
    expect(slowestHealthMs).toBeLessThan(3_000);
  });
});
