// The agent talks to an https:// server (TLS terminated by a real haproxy) and trusts a private
// CA given with --ca; without it, certificate verification fails and nothing connects.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentConfigFrom } from "../agent/agent-config.ts";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import { connectRawAgent } from "./support/raw-agent.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { AGENT_TOKEN, startTestServer, waitFor, type TestServer } from "./support/test-server.ts";
import { shouldSkipTlsTests, startTlsProxy, type TlsProxy } from "./support/tls-proxy.ts";

describe.skipIf(shouldSkipTlsTests("agent TLS"))("agent over TLS (haproxy in front)", () => {
  let server: TestServer;
  let proxy: TlsProxy;
  let agent: PrecacheAgent | null = null;

  beforeAll(async () => {
    server = await startTestServer();
    proxy = await startTlsProxy(server.url);
  });
  afterAll(async () => {
    await agent?.stop();
    await proxy?.stop();
    await server?.close();
  });

  it("--ca / PRECACHE_CA_FILE is parsed, and a missing file is named", () => {
    expect(agentConfigFrom({ server: proxy.url, token: "t", ca: proxy.caFile }, {} as NodeJS.ProcessEnv).caFile).toBe(proxy.caFile);
    expect(
      agentConfigFrom({ server: proxy.url, token: "t" }, { PRECACHE_CA_FILE: proxy.caFile } as unknown as NodeJS.ProcessEnv).caFile,
    ).toBe(proxy.caFile);
    expect(() => agentConfigFrom({ server: proxy.url, token: "t", ca: "/nonexistent/ca.pem" }, {} as NodeJS.ProcessEnv)).toThrow(
      'invalid --ca / PRECACHE_CA_FILE "/nonexistent/ca.pem": no such file',
    );
  });

  it("an agent with --ca enrols and comes online through https", async () => {
    agent = await startTestAgent(proxy.url, "hv-tls", { caFile: proxy.caFile });
    await waitFor("hv-tls online", async () => {
      const { body } = await server.api("GET", "/api/hypervisors");
      return body.hypervisors.find((h: { name: string; online: boolean }) => h.name === "hv-tls" && h.online);
    });
  });

  it("without the CA, certificate verification fails", async () => {
    const error = await connectRawAgent(proxy.url, { name: "hv-untrusting", token: AGENT_TOKEN }).then(
      (raw) => (raw.close(), null),
      (refused: Error & { description?: unknown }) => refused,
    );
    expect(error).not.toBeNull();
    const cause = String((error!.description as { message?: string } | undefined)?.message ?? error!.description ?? error!.message);
    expect(cause).toMatch(/self[- ]signed certificate in certificate chain|unable to (get local issuer|verify)/i);
    const trusted = await connectRawAgent(
      proxy.url,
      { name: "hv-trusting", token: AGENT_TOKEN },
      { ca: fs.readFileSync(proxy.caFile, "utf8") },
    );
    expect((await trusted.hello("hv-trusting")).ok).toBe(true);
    trusted.close();
  });
});
