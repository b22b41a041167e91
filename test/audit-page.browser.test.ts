// The Audit page in Debian's Chromium against the production server: an operator's actions
// (a pin that worked, a rollout that failed) are found by filtering, with actor, target and outcome.
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium, signIn } from "./support/chromium.ts";
import { callApi, startProductionServer, type ProductionServer } from "./support/production-server.ts";
import { waitFor } from "./support/test-server.ts";

const PASSWORD = "audit page password";
const TOKEN = "audit-browser-token";

describe.skipIf(!chromiumAvailable())("audit page in Chromium", () => {
  let server: ProductionServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startProductionServer({
      PRECACHE_ADMIN_PASSWORD: PASSWORD,
      PRECACHE_API_TOKEN: TOKEN,
      PRECACHE_AGENT_TOKEN: "audit-agent-token",
    });
    browser = await launchChromium();
  }, 400_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("shows a pin and a failed rollout, filtered by action and outcome", async () => {
    // The server answers before its first image sync (hashing the sample image) has finished.
    const imageId = await waitFor(
      "the sample image to be listed",
      async () => (await callApi(server.url, TOKEN, "GET", "/api/images")).images[0]?.id as string | undefined,
    );
    await callApi(server.url, TOKEN, "POST", `/api/images/${imageId}/pin`, { pinned: true });
    await expect(callApi(server.url, TOKEN, "POST", "/api/rollouts", { imageId: "no-such-image" })).rejects.toThrow(/404/);

    const page = await browser.newPage();
    await signIn(page, server.url, PASSWORD, "/audit");
    await page.click("text=Audit");
    await page.waitForURL("**/audit");
    await page.waitForLoadState("networkidle");

    await page.fill("#audit-action", "image.pin");
    await page.getByRole("button", { name: "Filter" }).click();
    const pinRow = page.locator("tbody tr");
    await expect.poll(() => pinRow.count(), { timeout: 15_000 }).toBe(1);
    expect(await pinRow.getByTestId("audit-action").textContent()).toBe("image.pin");
    expect(await pinRow.getByTestId("audit-actor").textContent()).toBe("token:bootstrap");
    expect(await pinRow.getByTestId("audit-target").textContent()).toBe(imageId);
    expect(await pinRow.getByTestId("audit-outcome").textContent()).toBe("ok");
    // The absolute local time with its offset, then how long ago (just now, or seconds ago).
    expect(await pinRow.locator("td time").first().textContent()).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC[+-]\d\d:\d\d · (just now|\d+ (s|min) ago)$/,
    );

    await page.fill("#audit-action", "rollout.");
    await page.selectOption("#audit-outcome", "failed");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect
      .poll(() => page.locator("tbody tr").getByTestId("audit-action").allTextContents(), { timeout: 15_000 })
      .toEqual(["rollout.create"]);
    expect(await page.locator("tbody tr").getByTestId("audit-outcome").textContent()).toBe("failed");
    expect(await page.locator("tbody tr").textContent()).toContain("IMAGE_NOT_FOUND");
    // A page holds 100 events; older ones come with "Load older".
    for (let index = 0; index < 100; index++)
      await callApi(server.url, TOKEN, "POST", `/api/images/${imageId}/pin`, { pinned: index % 2 === 0 });
    await page.getByRole("button", { name: "Clear" }).click();
    await expect.poll(() => page.locator("tbody tr").count(), { timeout: 15_000 }).toBe(100);
    await page.getByRole("button", { name: "Load older" }).click();
    await expect.poll(() => page.locator("tbody tr").count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(102);
    // The older page holds what happened before the 100 pins: the first pin and the failed rollout
    // (and, older still, the local agent's enrolment).
    const older = (await page.locator("tbody tr").getByTestId("audit-action").allTextContents()).slice(100);
    expect(older).toEqual(expect.arrayContaining(["image.pin", "rollout.create"]));
    await page.screenshot({ path: path.join(server.dataDir, "audit.png"), fullPage: true });
  }, 120_000);
});
