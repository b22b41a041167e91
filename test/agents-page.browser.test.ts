// An operator revokes a node on the Agents page and watches it drop; a reset lets it enrol again.
// Real production server (npm start) with its local agent, real Chromium.
import os from "node:os";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium, signIn } from "./support/chromium.ts";
import { callApi, startProductionServer, type ProductionServer } from "./support/production-server.ts";

const PASSWORD = "correct horse battery";
const API_TOKEN = "agents-page-token";

describe.skipIf(!chromiumAvailable())("Agents page in Chromium", () => {
  let server: ProductionServer;
  let browser: Browser;
  const node = os.hostname();
  const online = async () =>
    (await callApi(server.url, API_TOKEN, "GET", "/api/hypervisors")).hypervisors.find((h: { name: string }) => h.name === node)?.online;

  beforeAll(async () => {
    server = await startProductionServer({
      PRECACHE_ADMIN_PASSWORD: PASSWORD,
      PRECACHE_API_TOKEN: API_TOKEN,
      PRECACHE_AGENT_TOKEN: "agents-page-agent-token",
    });
    browser = await launchChromium();
  }, 400_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("lists the enrolled local agent; revoke drops it at once, reset lets it enrol again", async () => {
    await expect.poll(online, { timeout: 30_000 }).toBe(true);
    const page = await browser.newPage();
    page.on("dialog", (dialog) => void dialog.accept());
    await signIn(page, server.url, PASSWORD);
    await page.click("text=Agents");
    await page.waitForURL("**/agents");
    const row = page.getByTestId(`agent-${node}`);
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain("online");

    await row.getByRole("button", { name: "Revoke" }).click();
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain("revoked");
    expect(await online()).toBe(false);
    const audit = await callApi(server.url, API_TOKEN, "GET", "/api/agents");
    expect(audit.agents.find((agent: { name: string }) => agent.name === node)).toMatchObject({ revoked: true, revokedBy: "admin" });

    await row.getByRole("button", { name: "Reset" }).click();
    await expect.poll(online, { timeout: 60_000 }).toBe(true);
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain("online");
  }, 180_000);
});
