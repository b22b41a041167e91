// The server's REST replies and live snapshot match the contract's schemas (protocol/), so the
// dashboard's development-time check (lib/dev-check.ts) stays quiet against a real server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import { agentListReply } from "../protocol/agents.ts";
import { createTokenReply, sessionInfo, sessionListReply, tokenListReply, tokenRevokedReply } from "../protocol/api/access.ts";
import { cleanupListReply, cleanupNodePageReply, cleanupReply, staleListReply, startCleanupReply } from "../protocol/api/cleanup.ts";
import { errorBody } from "../protocol/api/error-body.ts";
import { hypervisorListReply, hypervisorReply } from "../protocol/api/hypervisors.ts";
import { imageListReply, imageReply, publishReply } from "../protocol/api/images.ts";
import { createRolloutReply, rolloutListReply, rolloutReply } from "../protocol/api/rollouts.ts";
import { topologyReply } from "../protocol/api/topology.ts";
import { userListReply } from "../protocol/api/users.ts";
import { auditPage } from "../protocol/audit.ts";
import { uiSnapshot } from "../protocol/ui.ts";
import { uiSnapshot as readUiSnapshot } from "../server/hypervisors/hypervisor-queries.ts";
import { publishAndWait, rolloutAndWait, startTestServer, type TestServer } from "./support/test-server.ts";
import { startTestAgent } from "./support/test-agent.ts";

function expectMatches(schema: z.ZodType, body: unknown, where: string): void {
  const result = schema.safeParse(body);
  expect(result.success ? "matches" : `${where}: ${result.error.message}`).toBe("matches");
}

describe("REST replies match protocol/api", () => {
  let server: TestServer;
  let agent: PrecacheAgent;

  beforeAll(async () => {
    server = await startTestServer();
    agent = await startTestAgent(server.url, "hv-contract");
  });
  afterAll(async () => {
    await agent?.stop();
    await server?.close();
  });

  it("for every resource the dashboard and the CLI read", async () => {
    const get = async (route: string, schema: z.ZodType) => {
      const { status, body } = await server.api("GET", route);
      expect(status, route).toBe(200);
      expectMatches(schema, body, `GET ${route}`);
      return body;
    };
    const images = await get("/api/images", imageListReply);
    const imageId = images.images[0].id;
    const published = await server.api("POST", `/api/images/${imageId}/publish`, {});
    expectMatches(publishReply, published.body, "POST publish");
    await publishAndWait(server, imageId);
    await get(`/api/images/${imageId}`, imageReply);

    const created = await server.api("POST", "/api/rollouts", { imageId });
    expectMatches(createRolloutReply, created.body, "POST /api/rollouts");
    await rolloutAndWait(server, { imageId });
    await get("/api/rollouts", rolloutListReply);
    await get(`/api/rollouts/${created.body.rollout.id}`, rolloutReply);

    await get("/api/hypervisors", hypervisorListReply);
    await get("/api/hypervisors/hv-contract", hypervisorReply);
    await get("/api/topology", topologyReply);
    await get("/api/cleanup/stale", staleListReply);
    await get("/api/users", userListReply);
    const token = await server.api("POST", "/api/tokens", { name: "contract" });
    expectMatches(createTokenReply, token.body, "POST /api/tokens");
    await get("/api/tokens", tokenListReply);
    const revoked = await server.api("DELETE", `/api/tokens/${token.body.token.id}`);
    expectMatches(tokenRevokedReply, revoked.body, "DELETE /api/tokens/{id}");
    await get("/api/sessions", sessionListReply);
    await get("/api/agents", agentListReply);
    await get("/api/audit", auditPage);
    await get("/api/session", sessionInfo);

    const cleaned = await server.api("POST", "/api/cleanup", { imageId });
    expect(cleaned.status).toBe(202);
    expectMatches(startCleanupReply, cleaned.body, "POST /api/cleanup");
    await get(`/api/cleanups/${cleaned.body.cleanup.id}`, cleanupReply);
    await get(`/api/cleanups/${cleaned.body.cleanup.id}/nodes`, cleanupNodePageReply);
    await get("/api/cleanups", cleanupListReply);
    const refused = await server.api("GET", "/api/rollouts/00000000-0000-4000-8000-000000000000");
    expect(refused.status).toBe(404);
    expectMatches(errorBody, refused.body, "a 404");

    expectMatches(uiSnapshot, await readUiSnapshot(server.context), "state:snapshot");
  });
});
