// Roles in the dashboard, in a real Chromium against the production server: a viewer sees the
// mutating buttons disabled with the reason; an admin reaches the users page and adds a user.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium } from "./support/chromium.ts";
import { callApi, startProductionServer, type ProductionServer } from "./support/production-server.ts";

const ADMIN_PASSWORD = "access-admin-pw";
const API_TOKEN = "access-browser-token";

async function signIn(page: Page, url: string, username: string, password: string) {
  await page.goto(`${url}/login`);
  await page.waitForLoadState("networkidle"); // hydrated: typing reaches React's state
  await page.fill("#username", username);
  await page.fill("#password", password);
  await page.click("button[type=submit]");
  await page.waitForURL("**/images");
}

describe.skipIf(!chromiumAvailable())("roles in the dashboard", () => {
  let server: ProductionServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startProductionServer({
      PRECACHE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      PRECACHE_API_TOKEN: API_TOKEN,
      PRECACHE_AGENT_TOKEN: "access-agent-token",
      PRECACHE_LOCAL_AGENT: "0",
    });
    await callApi(server.url, API_TOKEN, "POST", "/api/users", { name: "vera", role: "viewer", password: "vera-password" });
    browser = await launchChromium();
  }, 400_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("a viewer sees who they are, and mutating buttons disabled, saying why", async () => {
    const page = await (await browser.newContext()).newPage();
    await signIn(page, server.url, "vera", "vera-password");
    await expect.poll(() => page.getByTestId("signed-in-as").textContent()).toBe("vera · viewer");
    const row = page.getByTestId("image-precache-sample.raw");
    const publish = row.getByRole("button", { name: "Publish" });
    await expect.poll(() => publish.isDisabled()).toBe(true);
    expect(await publish.getAttribute("title")).toBe("needs the operator role; vera is viewer");
    expect(await row.getByRole("button", { name: "Clean up" }).isDisabled()).toBe(true);
    expect(await page.getByRole("button", { name: "Re-read image source" }).isDisabled()).toBe(true);
    await page.click("text=Topology");
    await page.waitForURL("**/topology");
    await expect.poll(() => page.getByRole("button", { name: "Save topology" }).isDisabled()).toBe(true);
    await page.click("text=Access");
    await page.waitForURL("**/access");
    await expect.poll(() => page.textContent("main")).toContain("Users are managed by admins.");
    expect(await page.getByTestId("users").count()).toBe(0);
  });

  it("an admin reaches the users page and adds an operator", async () => {
    const page = await (await browser.newContext()).newPage();
    await signIn(page, server.url, "admin", ADMIN_PASSWORD);
    await expect.poll(() => page.getByTestId("signed-in-as").textContent()).toBe("admin · admin");
    await expect
      .poll(() => page.getByTestId("image-precache-sample.raw").getByRole("button", { name: "Publish" }).isDisabled())
      .toBe(false);
    await page.click("text=Access");
    await page.waitForURL("**/access");
    await expect.poll(() => page.getByTestId("user-vera").textContent()).toContain("local");
    const users = page.getByTestId("users");
    await users.getByPlaceholder("user name").fill("otto");
    await users.locator("select").last().selectOption("operator");
    await users.getByPlaceholder("password (8+ characters)").fill("otto-password");
    await users.getByRole("button", { name: "Add user" }).click();
    await expect.poll(() => page.getByTestId("user-otto").count()).toBe(1);
    const { users: listed } = await callApi(server.url, API_TOKEN, "GET", "/api/users");
    expect(listed.find((user: { name: string }) => user.name === "otto")).toMatchObject({ role: "operator", source: "local" });
    // the admin's own session is listed, marked as this one
    await expect.poll(() => page.getByTestId("sessions").textContent()).toContain("admin (this one)");
  });
});
