// Finding 6 reproduced in a real Chromium: a page on another port of the same host (same-site,
// so the SameSite=Lax cookie goes along) posts text/plain JSON to /api/topology and opens a /ui
// socket with the operator's cookie. Both must be refused, and nothing may change. The same
// calls from the dashboard's own origin are the control: they work.
import http from "node:http";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium } from "./support/chromium.ts";
import { signInAs } from "./support/operator-client.ts";
import { startTestServer, type TestServer } from "./support/test-server.ts";

const ADMIN_PASSWORD = "csrf-admin-pw";
const FORGED_TOPOLOGY = { tier1: [{ url: "http://attacker-squid:3128", bandwidthMbps: null }] };

/** Runs in the page: what a hostile page can do with fetch and a raw Socket.io websocket. */
async function attack(args: { target: string; forged: unknown; contentType: string }) {
  const posted = await fetch(`${args.target}/api/topology`, {
    method: "POST",
    mode: args.contentType === "text/plain" ? "no-cors" : "cors",
    credentials: "include",
    headers: { "content-type": args.contentType },
    body: JSON.stringify(args.forged),
  }).then(
    (response) => response.status,
    (error: Error) => `error: ${error.message}`,
  );
  const socket = await new Promise<string>((resolve) => {
    const ws = new WebSocket(`${args.target.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`);
    const timer = setTimeout(() => resolve("timeout"), 5000);
    ws.onmessage = (event) => {
      const data = String(event.data);
      if (data.startsWith("0")) ws.send("40/ui,");
      else if (data.startsWith("40/ui")) clearTimeout(timer), resolve("connected"), ws.close();
      else if (data.startsWith("44/ui")) clearTimeout(timer), resolve(`refused ${data.slice(6)}`), ws.close();
    };
    ws.onerror = () => resolve("error");
  });
  return { posted, socket };
}

describe.skipIf(!chromiumAvailable())("CSRF in Chromium (finding 6)", () => {
  let server: TestServer;
  let hostile: http.Server;
  let hostileUrl: string;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    server = await startTestServer({ PRECACHE_ADMIN_PASSWORD: ADMIN_PASSWORD });
    hostile = http.createServer((_req, res) =>
      res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>cat pictures</title>"),
    );
    await new Promise<void>((resolve) => hostile.listen(0, "127.0.0.1", resolve));
    hostileUrl = `http://127.0.0.1:${(hostile.address() as { port: number }).port}`;
    browser = await launchChromium();
    context = await browser.newContext();
    const admin = await signInAs(server.url, { password: ADMIN_PASSWORD });
    const [name, value] = admin.cookie.split("=");
    await context.addCookies([{ name, value, domain: "127.0.0.1", path: "/", httpOnly: true, sameSite: "Lax" }]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    hostile?.close();
    await server?.close();
  });

  it("a page on another port cannot change the topology or open the live socket with the cookie", async () => {
    const before = (await server.api("GET", "/api/topology")).body.topology;
    const page = await context.newPage();
    await page.goto(hostileUrl);
    const result = await page.evaluate(attack, { target: server.url, forged: FORGED_TOPOLOGY, contentType: "text/plain" });
    expect(result.posted).toBe(0); // opaque no-cors answer: the page learns nothing either way
    expect((await server.api("GET", "/api/topology")).body.topology).toEqual(before);
    expect(result.socket).toMatch(/^refused .*cross-origin/);
    const refusals = await server.context.db.auditEvent.count({ where: { action: "topology.update" } });
    expect(refusals).toBe(0); // refused before the route ran
  });

  it("the dashboard's own origin, with the same cookie, can do both (control)", async () => {
    const page = await context.newPage();
    await page.goto(`${server.url}/api/health`);
    const result = await page.evaluate(attack, {
      target: server.url,
      forged: { nodeBandwidthMbps: 1234 },
      contentType: "application/json",
    });
    expect(result).toEqual({ posted: 200, socket: "connected" });
    expect((await server.api("GET", "/api/topology")).body.topology.nodeBandwidthMbps).toBe(1234);
  });
});
