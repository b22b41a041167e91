// The agent hub's line for precache commands: a command for a node waits behind its hello's
// catch-up; a claim that catch-up put back is never delivered; and the wait counts against the
// command's time (a slow catch-up answers OFFLINE at the deadline instead of holding the sender,
// or a whole cross-server batch, for as long as it takes).
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { Server } from "socket.io";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_NAMESPACE, PROTOCOL_VERSION, type ImagePrecache } from "../protocol/events.ts";
import { AgentHub, type AgentEventHandlers } from "../server/realtime/agent-hub.ts";

const ROLLOUT = crypto.randomUUID();
const CATCH_UP_MS = 1500;

function command(claim: number): ImagePrecache {
  return {
    rolloutId: ROLLOUT,
    imageId: crypto.randomUUID(),
    artifactUrl: "http://127.0.0.1:1/artifacts/x/y.gz",
    codec: "gzip",
    compressedSize: null,
    imageSize: null,
    hash: { algo: "sha256", value: "0".repeat(64) },
    jitterMs: 0,
    bandwidthBytesPerSecond: null,
    refreshCache: false,
    diskFormat: "raw",
    retryBudgetSeconds: 600,
    sealedKey: null,
    peers: [],
    peerToken: null,
    peerUntil: null,
    virtualSize: null,
    claim,
  } as ImagePrecache;
}

describe("agent hub: precache commands behind the hello's catch-up", () => {
  const hub = new AgentHub(pino({ level: "silent" }));
  const httpServer = http.createServer();
  const ioServer = new Server(httpServer);
  let agent: Socket;
  let helloAnswered = 0;
  const received: { claim: number | undefined; at: number }[] = [];
  let catchUpDone: () => void;
  const caughtUp = new Promise<void>((resolve) => (catchUpDone = resolve));

  beforeAll(async () => {
    const handlers: Partial<AgentEventHandlers> = {
      authenticate: async () => ({ ok: true, mode: "credential", secretHash: "h" }),
      refused: () => undefined,
      hello: async () => ({ proxies: [], pinned: [], artifactBaseUrl: "http://127.0.0.1:1/artifacts/" }),
      // Slow, as under a reconnect storm; it found claim 1 lost and put it back.
      afterHello: async () => {
        await new Promise((resolve) => setTimeout(resolve, CATCH_UP_MS));
        catchUpDone();
        return [{ rolloutId: ROLLOUT, claim: 1 }];
      },
      disconnected: async () => undefined,
      sweep: async () => [],
    };
    hub.attach(ioServer, handlers as AgentEventHandlers);
    await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
    const { port } = httpServer.address() as AddressInfo;
    agent = io(`http://127.0.0.1:${port}${AGENT_NAMESPACE}`, {
      auth: { name: "hv-line", credential: "c" },
      transports: ["websocket"],
      reconnection: false,
    });
    agent.on("image:precache", (payload: ImagePrecache, ack: (answer: unknown) => void) => {
      received.push({ claim: payload.claim, at: Date.now() });
      ack({ ok: true, data: { accepted: true } });
    });
    await new Promise<void>((resolve) => agent.once("connect", () => resolve()));
    const hello = {
      protocol: PROTOCOL_VERSION,
      name: "hv-line",
      version: "test",
      cacheDir: "/var/lib/nova/instances/_base",
      freeBytes: 1e12,
      proxies: [],
      inventory: [],
      active: [],
    };
    agent.emit("agent:hello", hello, () => void (helloAnswered = Date.now()));
    // The hub takes the node as connected before its catch-up ends: that is the window under test.
    await new Promise<void>((resolve) => {
      const check = () => (hub.isConnectedHere("hv-line") ? resolve() : setTimeout(check, 10));
      check();
    });
  });
  afterAll(async () => {
    agent?.close();
    hub.close();
    await new Promise<void>((resolve) => ioServer.close(() => resolve()));
  });

  it("answers a command whose wait outlasts its time OFFLINE at the deadline, and never sends it", async () => {
    const started = Date.now();
    const answer = await hub.deliverLocal("hv-line", "image:precache", command(5), 300);
    expect(answer).toMatchObject({ ok: false, error: { code: "OFFLINE" } });
    expect(Date.now() - started).toBeLessThan(CATCH_UP_MS - 300);
    await caughtUp;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received.map((entry) => entry.claim)).not.toContain(5);
  });

  it("delivers a new claim after the catch-up, and never a claim it put back (SUPERSEDED)", async () => {
    // The catch-up (over by now) put claim 1 back: a late command of it is refused, claim 2 goes.
    const [lost, fresh] = await Promise.all([
      hub.deliverLocal("hv-line", "image:precache", command(1), 5000),
      hub.deliverLocal("hv-line", "image:precache", command(2), 5000),
    ]);
    expect(lost).toMatchObject({ ok: false, error: { code: "SUPERSEDED" } });
    expect(fresh).toEqual({ ok: true, data: { accepted: true } });
    expect(received.map((entry) => entry.claim)).toEqual([2]);
    expect(received[0].at, "after the hello was answered").toBeGreaterThanOrEqual(helloAnswered);
  });
});
