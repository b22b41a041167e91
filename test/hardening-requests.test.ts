// Findings 2 and 10: junk request lines and hostile ids, names and bodies get a 4xx at once,
// never a 500, a hang or a dead process, embedded and under `npm start` (with Next).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawExchange } from "./fuzz/raw-http.ts";
import { startProductionServer, type ProductionServer } from "./support/production-server.ts";
import { API_TOKEN, startTestServer, type TestServer } from "./support/test-server.ts";

const JUNK_TARGETS = ["//", "//[", "http://[", "//api/health", "/\\\\evil", "*", "http://[::1"];

const portOf = (url: string) => Number(new URL(url).port);

async function expectJunkRefused(url: string) {
  for (const target of JUNK_TARGETS) {
    const answer = await rawExchange(portOf(url), `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 5000);
    expect({ target, status: answer.status, isTimedOut: answer.isTimedOut }).toEqual({ target, status: 400, isTimedOut: false });
    expect(answer.ms).toBeLessThan(2000);
  }
  const health = await fetch(`${url}/api/health`);
  expect(health.status).toBe(200);
}

describe("junk request lines (embedded server)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.close());

  it("answers 400 at once and keeps serving", async () => {
    await expectJunkRefused(server.url);
  });
});

describe("junk request lines (npm start, with Next)", () => {
  let server: ProductionServer;
  beforeAll(async () => {
    server = await startProductionServer({
      PRECACHE_API_TOKEN: "junk-api-token",
      PRECACHE_AGENT_TOKEN: "junk-agent-token",
      PRECACHE_ADMIN_PASSWORD: "junk-password",
    });
  });
  afterAll(async () => server?.stop());

  it("answers 400 at once, and the process stays up", async () => {
    await expectJunkRefused(server.url);
    const page = await rawExchange(portOf(server.url), "GET /%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5000);
    expect(page.isTimedOut).toBe(false);
    expect(page.status).toBeGreaterThanOrEqual(400);
    expect(page.status).toBeLessThan(500);
    expect(server.process.exitCode).toBeNull();
  });
});

describe("hostile ids, names and bodies", () => {
  let server: TestServer;
  const call = async (method: string, route: string, body?: string, headers: Record<string, string> = {}) => {
    const response = await fetch(server.url + route, {
      method,
      headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json", ...headers },
      body,
    });
    const text = await response.text();
    return { status: response.status, text };
  };
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.close());

  it.each([
    ["GET", "/api/hypervisors/%E0%A4", 400, "name"],
    ["GET", "/api/hypervisors/%zz", 400, "name"],
    ["GET", "/api/hypervisors/%ED%A0%80", 400, "name"], // a lone surrogate, UTF-8 encoded
    ["GET", "/api/hypervisors/hv%00", 422, "name"],
    ["GET", "/api/hypervisors/hv%01x", 422, "name"],
    ["POST", "/api/hypervisors/%E0%A4/group", 400, "name"],
    ["POST", "/api/hypervisors/hv%00/group", 422, "name"],
  ])("%s %s → %i naming %s", async (method, route, status, field) => {
    const answer = await call(method, route, method === "POST" ? JSON.stringify({ group: "rack-1" }) : undefined);
    expect(answer.status).toBe(status);
    expect(JSON.parse(answer.text).error.message).toContain(`${field}:`);
  });

  it.each([
    ["/api/rollouts", { imageId: "img\u0000" }, "imageId"],
    ["/api/rollouts", { imageId: "img", hypervisors: ["hv\u0000"] }, "hypervisors.0"],
    ["/api/rollouts", { imageId: "img", hypervisors: ["hv\ud800"] }, "hypervisors.0"],
    ["/api/rollouts", { imageId: "img", groups: ["rack\ud800"] }, "groups.0"],
    ["/api/cleanup", { imageId: "\u0000" }, "imageId"],
    ["/api/cleanup", { imageId: "img", hypervisors: ["a\u0000"] }, "hypervisors.0"],
    ["/api/topology", { groups: [{ name: "rack\u0000", proxies: [] }] }, "groups.0.name"],
    ["/api/topology", { groups: [{ name: "\udc00", proxies: [] }] }, "groups.0.name"],
    ["/api/topology", { groups: [{ name: "rack", proxies: ["http://squid\u0000:3128"] }] }, "groups.0.proxies.0"],
    ["/api/topology", { groups: [{ name: "rack", proxies: [], bandwidthMbps: 1.5 }] }, "groups.0.bandwidthMbps"],
    ["/api/topology", { tier1: [{ url: "http://[", bandwidthMbps: null }] }, "tier1.0.url"],
    ["/api/hypervisors/hv-1/group", { group: "rack\u0000" }, "group"],
  ])("POST %s %j → 422 naming %s", async (route, body, field) => {
    const answer = await call("POST", route, JSON.stringify(body));
    expect(answer.status).toBe(422);
    expect(JSON.parse(answer.text).error.message).toContain(`${field}:`);
  });

  it.each([["[]"], ["null"], ["42"], ['"text"']])("a JSON %s where an object is expected → 422", async (body) => {
    const answer = await call("POST", "/api/topology", body);
    expect(answer.status).toBe(422);
  });

  it("a body over 1 MiB → 413, with a Content-Length and chunked, and the server goes on", async () => {
    const big = JSON.stringify({ groups: [{ name: "x".repeat(1024 * 1024), proxies: [] }] });
    const declared = await call("POST", "/api/topology", big);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.text).error.code).toBe("PAYLOAD_TOO_LARGE");
    // Chunked (no Content-Length): the server stops reading at 1 MiB and answers.
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 64; i += 1) controller.enqueue(new TextEncoder().encode("x".repeat(64 * 1024)));
        controller.close();
      },
    });
    const streamed = await fetch(`${server.url}/api/topology`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
      body: chunks,
      duplex: "half",
    } as RequestInit).then(
      (response) => response.status,
      () => "connection closed before the answer was read",
    );
    expect([413, "connection closed before the answer was read"]).toContain(streamed);
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });
});
