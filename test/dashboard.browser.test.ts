// The newcomer's flow in a real Chromium against the real production server (npm start):
// sign in, publish the sample image, precache it to the local agent, see its cell turn cached.
import fs from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium, signIn } from "./support/chromium.ts";
import { startProductionServer, type ProductionServer } from "./support/production-server.ts";

const PASSWORD = "correct horse battery";

describe.skipIf(!chromiumAvailable())("dashboard in Chromium", () => {
  let server: ProductionServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startProductionServer({
      PRECACHE_ADMIN_PASSWORD: PASSWORD,
      PRECACHE_API_TOKEN: "browser-test-token",
      PRECACHE_AGENT_TOKEN: "browser-agent-token",
    });
    browser = await launchChromium();
  }, 400_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("signs in, publishes, precaches and shows the cell cached", async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/images`);
    await page.waitForURL("**/login");
    await page.waitForLoadState("networkidle"); // hydrated: typing reaches React's state
    await page.fill("#password", "wrong");
    await page.click("button[type=submit]");
    await expect.poll(() => page.textContent("[role=alert]")).toContain("wrong password");
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    await page.waitForURL("**/images");

    const row = page.getByTestId("image-precache-sample.raw");
    await row.getByRole("button", { name: "Publish" }).click();
    await expect.poll(() => row.getByTestId("artifact-state").textContent(), { timeout: 60_000 }).toBe("ready");
    await row.getByRole("button", { name: "Precache…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Start rollout to 1" }).click();
    await page.waitForURL("**/rollouts/*");
    await expect.poll(() => page.getByTestId("rollout-state").textContent(), { timeout: 60_000 }).toBe("done");
    expect(await page.getByTestId("rollout-done").textContent()).toBe("1");
    await page.click("text=Images");
    await page.waitForURL("**/images");
    await expect.poll(() => row.getByTestId("rollout").textContent(), { timeout: 60_000 }).toContain("1 done");

    await page.click("text=Hypervisors");
    await page.waitForURL("**/hypervisors");
    await expect.poll(() => page.getByTestId("count-cached").textContent(), { timeout: 30_000 }).toBe("1");
    expect(await page.getByTestId("count-absent").textContent()).toBe("0");
    await page.screenshot({ path: path.join(server.dataDir, "hypervisors.png") });
    // The one cell sits under its group label; clicking it opens the node page.
    await page.getByTestId("heatmap").click({ position: { x: 11, y: 27 } });
    await page.waitForURL("**/hypervisors/*");
    await expect.poll(() => page.locator("[data-testid^=node-image-]").textContent(), { timeout: 15_000 }).toContain("cached");
    expect(await page.locator("[data-testid^=node-image-]").textContent()).toContain("yes");

    const cacheDir = path.join(server.dataDir, "nova-cache");
    const files = fs.readdirSync(cacheDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{40}$/);
    expect(fs.statSync(path.join(cacheDir, files[0])).size).toBe(
      fs.statSync(path.join(server.dataDir, "images", "precache-sample.raw")).size,
    );

    // Signed out, the heatmap is refused (API and live socket alike) and signing in again works.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL("**/login");
    await signIn(page, server.url, PASSWORD, "/hypervisors");
    await page.click("text=Hypervisors");
    await expect.poll(() => page.getByTestId("count-cached").textContent(), { timeout: 30_000 }).toBe("1");
    await expect.poll(() => page.getByTestId("live-status").textContent()).toBe("● live");
  }, 180_000);
});
