// The Images page in Debian's Chromium when the image source fails (a Glance nobody listens on):
// an alert says since when and why, so a bad setting is seen on the page, not only in the log.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium, signIn } from "./support/chromium.ts";
import { callApi, freePort, startProductionServer, type ProductionServer } from "./support/production-server.ts";

const PASSWORD = "banner page password";
const TOKEN = "banner-browser-token";

describe.skipIf(!chromiumAvailable())("image source banner in Chromium", () => {
  let server: ProductionServer;
  let browser: Browser;

  beforeAll(async () => {
    const closedPort = await freePort(); // nothing listens there: every sync is refused
    server = await startProductionServer({
      PRECACHE_ADMIN_PASSWORD: PASSWORD,
      PRECACHE_API_TOKEN: TOKEN,
      PRECACHE_AGENT_TOKEN: "banner-agent-token",
      GLANCE_URL: `http://127.0.0.1:${closedPort}`,
    });
    browser = await launchChromium();
  }, 400_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("shows the failing source as an alert with the reason and that no list was read", async () => {
    const { source } = await callApi(server.url, TOKEN, "GET", "/api/images");
    expect(source).toMatchObject({
      kind: "glance",
      state: "degraded",
      lastSyncedAt: null,
      lastError: expect.stringContaining("ECONNREFUSED"),
    });

    const page = await browser.newPage();
    await signIn(page, server.url, PASSWORD);
    const banner = page.getByTestId("source-banner");
    await expect
      .poll(() => banner.textContent(), { timeout: 15_000 })
      .toMatch(
        /^Image source unreachable since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC[+-]\d\d:\d\d: cannot reach Glance at http:\/\/127\.0\.0\.1:\d+\/v2\/images\S*: ECONNREFUSED — no image list has been read yet$/,
      );
    expect(await banner.getAttribute("role")).toBe("alert");
  });
});
