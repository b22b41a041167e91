// The Images page in Debian's Chromium says who may pre-cache what: each image's Glance project
// and visibility, before publishing a private image that it will be encrypted, and afterwards
// that its artifact is. (Glance here is the fake one: the page only reads what the API lists.)
import crypto from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGlance, type FakeGlance } from "./fake-glance/fake-glance.ts";
import { chromiumAvailable, launchChromium, signIn } from "./support/chromium.ts";
import { callApi, startProductionServer, type ProductionServer } from "./support/production-server.ts";

const PASSWORD = "private images page password";
const TOKEN = "private-images-browser-token";
const PROJECT = "a3c5e7f9b1d34f6a8c0e2a4b6d8f0a1c";

describe.skipIf(!chromiumAvailable())("private images on the Images page in Chromium", () => {
  let glance: FakeGlance;
  let server: ProductionServer;
  let browser: Browser;

  beforeAll(async () => {
    glance = await startFakeGlance({
      images: [
        { name: "tenant-private", data: crypto.randomBytes(64 * 1024), visibility: "private", owner: PROJECT },
        { name: "everyone", data: crypto.randomBytes(64 * 1024), visibility: "public", owner: PROJECT },
      ],
    });
    server = await startProductionServer({
      PRECACHE_ADMIN_PASSWORD: PASSWORD,
      PRECACHE_API_TOKEN: TOKEN,
      PRECACHE_AGENT_TOKEN: "private-images-agent-token",
      GLANCE_URL: glance.url,
    });
    browser = await launchChromium();
  }, 400_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await glance?.close();
  });

  it("shows project and visibility, says a private image will be encrypted, then that it is", async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, PASSWORD);
    const privateRow = page.getByTestId("image-tenant-private");
    const publicRow = page.getByTestId("image-everyone");
    await expect
      .poll(() => privateRow.getByTestId("image-ownership").textContent(), { timeout: 15_000 })
      .toBe(`private · project ${PROJECT}`);
    expect(await publicRow.getByTestId("image-ownership").textContent()).toBe(`public · project ${PROJECT}`);
    expect(await privateRow.getByTestId("will-encrypt").textContent()).toMatch(/publishing encrypts it/);
    expect(await publicRow.getByTestId("will-encrypt").count()).toBe(0);

    await privateRow.getByRole("button", { name: "Publish" }).click();
    await expect.poll(() => privateRow.getByTestId("encrypted").count(), { timeout: 30_000 }).toBe(1);
    expect(await privateRow.getByTestId("will-encrypt").count()).toBe(0);
    const { images } = await callApi(server.url, TOKEN, "GET", "/api/images");
    const published = images.find((image: { name: string }) => image.name === "tenant-private");
    expect(published.artifact).toMatchObject({ state: "ready", encrypted: true, url: expect.stringMatching(/\/artifacts\/sealed\//) });
  });
});
