// A refused body names each field at fault (path and message), so a form can mark the field.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/test-server.ts";

describe("422 field errors", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
    if (server?.dataDir) fs.rmSync(server.dataDir, { recursive: true, force: true });
  });

  it("lists the bad fields of a topology update by path", async () => {
    const refused = await server.api("POST", "/api/topology", {
      tier1: [
        { url: "http://ok:3128", bandwidthMbps: null },
        { url: "squid-without-scheme", bandwidthMbps: null },
      ],
      groups: [{ name: "rack-a", proxies: [], bandwidthMbps: -1 }],
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe("VALIDATION_FAILED");
    // A field may fail more than one check: each is listed; the form shows the first.
    const paths = new Set(refused.body.error.fields.map((field: { path: string }) => field.path));
    expect([...paths].sort()).toEqual(["groups.0.bandwidthMbps", "tier1.1.url"]);
    expect(refused.body.error.message).toContain("tier1.1.url: proxy URL with scheme and host");
  });
});
