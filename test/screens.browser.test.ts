// Every screen, in Debian's Chromium against the production server: the theme toggle (forced
// before the first paint, kept across reloads, the heatmap repainted in the new colours), live
// relative times, the topology form's unsaved-changes warning, and tables that become cards at 390 px.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishFirstImage, startBareFleet } from "./support/bare-fleet.ts";
import { chromiumAvailable, launchChromium, signIn } from "./support/chromium.ts";
import { callApi, type ProductionServer } from "./support/production-server.ts";

const PASSWORD = "screens password";
const TOKEN = "screens-token";
const DARK_BG = "rgb(15, 20, 25)";
const LIGHT_BG = "rgb(246, 247, 249)";
const DARK_MUTED = [0x8b, 0x96, 0xa3];
const LIGHT_MUTED = [0x4b, 0x55, 0x63];

const background = (page: Page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
const themeAttribute = (page: Page) => page.evaluate(() => document.documentElement.getAttribute("data-theme"));

/** Opaque pixels of the heatmap's group-label strip in one colour (labels take the page's muted text colour). */
function labelPixels(page: Page, rgb: number[]): Promise<number> {
  return page.getByTestId("heatmap").evaluate((canvas: HTMLCanvasElement, colour: number[]) => {
    const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, Math.min(canvas.height, 18 * devicePixelRatio));
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 200 && colour.every((value, channel) => Math.abs(data[i + channel] - value) <= 2)) count++;
    }
    return count;
  }, rgb);
}

describe.skipIf(!chromiumAvailable())("every screen: theme, times, unsaved edits, card tables", () => {
  let server: ProductionServer;
  let browser: Browser;
  let rolloutId = "";
  const api = (method: string, route: string, body?: unknown) => callApi(server.url, TOKEN, method, route, body);
  const open = async (options: { width: number; height: number }, from: string): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport: options, colorScheme: "dark" });
    const page = await context.newPage();
    await signIn(page, server.url, PASSWORD, from);
    await page.waitForLoadState("networkidle");
    return { context, page };
  };

  beforeAll(async () => {
    ({ server } = await startBareFleet({
      prefix: "screens",
      images: { "alpha.raw": Buffer.alloc(64 * 1024, 1) },
      vars: { PRECACHE_ADMIN_PASSWORD: PASSWORD, PRECACHE_API_TOKEN: TOKEN, PRECACHE_AGENT_TOKEN: "screens-agent" },
      nodes: [
        ["hv-a1", "rack-a"],
        ["hv-b1", "rack-b"],
      ],
    }));
    const imageId = await publishFirstImage(server, TOKEN);
    rolloutId = (await api("POST", "/api/rollouts", { imageId })).rollout.id;
    browser = await launchChromium();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  // First: the rollout is seconds old, so its relative time changes every second.
  it("times show local ISO time with offset and a relative time that keeps ticking", async () => {
    const { context, page } = await open({ width: 1440, height: 900 }, "/rollouts");
    const started = page.locator('[data-testid="rollout-row"] td[data-label="Started"] time');
    const { createdAt } = (await api("GET", `/api/rollouts/${rolloutId}`)).rollout;
    expect(await started.getAttribute("dateTime")).toBe(createdAt);
    expect(await started.getAttribute("title")).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC[+-]\d\d:\d\d$/);
    const relative = started.locator(".relative-time");
    const first = await relative.textContent();
    expect(first).toMatch(/ · (\d+ s|\d+ min) ago$/);
    await expect.poll(() => relative.textContent(), { timeout: 5_000 }).not.toBe(first);
    await context.close();
  }, 60_000);

  it("the theme toggle forces light before the first paint, survives a reload and repaints the heatmap", async () => {
    const { context, page } = await open({ width: 1440, height: 900 }, "/hypervisors");
    const toggle = page.getByRole("combobox", { name: "Colour theme" });
    expect(await toggle.inputValue()).toBe("system");
    expect(await themeAttribute(page)).toBeNull();
    expect(await background(page)).toBe(DARK_BG);
    await expect.poll(() => labelPixels(page, DARK_MUTED)).toBeGreaterThan(0);

    await toggle.selectOption("light");
    expect(await themeAttribute(page)).toBe("light");
    expect(await background(page)).toBe(LIGHT_BG);
    await expect.poll(() => labelPixels(page, LIGHT_MUTED)).toBeGreaterThan(0);
    expect(await labelPixels(page, DARK_MUTED)).toBe(0);

    // After a reload the attribute is already there when <body> is first parsed: no dark flash.
    await page.addInitScript(() => {
      new MutationObserver((_changes, observer) => {
        if (!document.body) return;
        (window as unknown as { themeAtBody: string | null }).themeAtBody = document.documentElement.getAttribute("data-theme");
        observer.disconnect();
      }).observe(document, { childList: true, subtree: true });
    });
    await page.reload();
    await page.waitForLoadState("networkidle");
    expect(await page.evaluate(() => (window as unknown as { themeAtBody: string | null }).themeAtBody)).toBe("light");
    expect(await background(page)).toBe(LIGHT_BG);
    expect(await toggle.inputValue()).toBe("light");

    // System follows the browser's preference; Dark wins over a light preference.
    await toggle.selectOption("system");
    expect(await themeAttribute(page)).toBeNull();
    expect(await background(page)).toBe(DARK_BG);
    await page.emulateMedia({ colorScheme: "light" });
    expect(await background(page)).toBe(LIGHT_BG);
    await expect.poll(() => labelPixels(page, LIGHT_MUTED)).toBeGreaterThan(0);
    await toggle.selectOption("dark");
    expect(await background(page)).toBe(DARK_BG);
    await expect.poll(() => labelPixels(page, DARK_MUTED)).toBeGreaterThan(0);
    await context.close();
  }, 120_000);

  it("topology edits warn before leaving until saved or discarded", async () => {
    const { context, page } = await open({ width: 1440, height: 900 }, "/topology");
    const dialogs: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.type());
      void dialog.dismiss();
    });
    const marker = page.getByTestId("unsaved-marker");
    const field = page.getByLabel("Node link (Mbit/s)");
    const saved = await field.inputValue();
    expect(await marker.textContent()).toBe("");

    await field.click();
    await page.keyboard.press("End");
    await page.keyboard.type("5");
    await expect.poll(() => marker.textContent()).toBe("● Unsaved changes");
    // An in-app link asks first; refusing stays on the page with the edit.
    await page.getByRole("link", { name: "Images" }).click();
    await expect.poll(() => dialogs).toEqual(["confirm"]);
    expect(new URL(page.url()).pathname).toBe("/topology");
    expect(await field.inputValue()).toBe(`${saved}5`);
    // Closing (or reloading) the tab asks through beforeunload.
    await page.close({ runBeforeUnload: true });
    await expect.poll(() => dialogs).toEqual(["confirm", "beforeunload"]);
    expect(page.isClosed()).toBe(false);

    await page.getByRole("button", { name: "Discard changes" }).click();
    expect(await field.inputValue()).toBe(saved);
    expect(await marker.textContent()).toBe("");

    await field.click();
    await page.keyboard.press("End");
    await page.keyboard.type("0");
    await expect.poll(() => marker.textContent()).toBe("● Unsaved changes");
    await page.getByRole("button", { name: "Save topology" }).click();
    await expect.poll(() => marker.textContent()).toBe("");
    expect((await api("GET", "/api/topology")).topology.nodeBandwidthMbps).toBe(Number(`${saved}0`));
    await page.getByRole("link", { name: "Images" }).click();
    await page.waitForURL("**/images");
    expect(dialogs).toEqual(["confirm", "beforeunload"]);
    await context.close();
  }, 90_000);

  it("at 390 px table rows are cards labelled by their column, still a table to assistive technology", async () => {
    const { context, page } = await open({ width: 390, height: 844 }, `/rollouts/${rolloutId}`);
    const cell = page.locator('[data-testid="rollout-targets"] td[data-label="State"]').first();
    await cell.waitFor();
    expect(await cell.evaluate((td) => getComputedStyle(td, "::before").content)).toBe('"State"');
    const card = await cell.evaluate((td) => {
      const row = td.closest("tr")!;
      const box = row.getBoundingClientRect();
      return { display: getComputedStyle(row).display, right: box.right, border: getComputedStyle(row).borderTopWidth };
    });
    expect(card).toEqual({ display: "block", right: expect.any(Number), border: "1px" });
    expect(card.right).toBeLessThanOrEqual(390);
    // Chromium's own accessibility tree still maps the card table to a table, rows, cells and column headers.
    const cdp = await context.newCDPSession(page);
    const { root } = await cdp.send("DOM.getDocument", { depth: 0 });
    const roleOf = async (selector: string) => {
      const { nodeId } = await cdp.send("DOM.querySelector", {
        nodeId: root.nodeId,
        selector: `[data-testid="rollout-targets"] ${selector}`,
      });
      const { nodes } = await cdp.send("Accessibility.getPartialAXTree", { nodeId, fetchRelatives: false });
      return nodes[0]?.role?.value;
    };
    expect(await roleOf("")).toBe("table");
    expect(await roleOf("tbody tr")).toBe("row");
    expect(await roleOf('td[data-label="State"]')).toBe("cell");
    expect(await roleOf("thead th")).toBe("columnheader");

    await page.setViewportSize({ width: 1440, height: 900 });
    expect(await cell.evaluate((td) => getComputedStyle(td, "::before").content)).toBe("none");
    expect(await cell.evaluate((td) => getComputedStyle(td.closest("tr")!).display)).toBe("table-row");
    await context.close();
  }, 60_000);
});
