// The hypervisors page's table view in Debian's Chromium against the production server, with a
// fleet of 5,000 hypervisors written straight into the database between two starts of the
// server (agents would cost minutes): the view and filter live in the URL, the filter applies to
// the rows, only the rows in view are in the DOM, scrolling brings later ones in, names link to
// the node page, and the table scrolls inside its own box at 390 px.
import fs from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../server/db/open-database.ts";
import { startBareFleet } from "./support/bare-fleet.ts";
import { chromiumAvailable, launchChromium, signIn } from "./support/chromium.ts";
import { callApi, startProductionServer, type ProductionServer } from "./support/production-server.ts";
import { waitFor } from "./support/test-server.ts";

const VARS = { PRECACHE_ADMIN_PASSWORD: "table password", PRECACHE_API_TOKEN: "table-token", PRECACHE_AGENT_TOKEN: "table-agent" };
const FLEET = 5000;
const IMAGE_BYTES = 64 * 1024;
const GROUPS = 6;
const name = (index: number) => `hv-${String(index).padStart(4, "0")}`;
/** Every 100th node (7, 107, …) failed, every 50th (3, 53, …) halfway through, every third cached. */
function cellOf(index: number): { state: string; bytes: number; error: string | null } | null {
  if (index % 100 === 7) return { state: "failed", bytes: 0, error: `fetch failed: connect ECONNREFUSED 10.0.0.${index % 250}:3128` };
  if (index % 50 === 3) return { state: "downloading", bytes: IMAGE_BYTES / 2, error: null };
  return index % 3 === 0 ? { state: "cached", bytes: IMAGE_BYTES, error: null } : null;
}

describe.skipIf(!chromiumAvailable())("the hypervisors table in Chromium", () => {
  let server: ProductionServer;
  let browser: Browser;
  let page: Page;
  let imageId = "";
  const rowNames = () =>
    page.locator("[data-testid=heatmap-table] tbody tr[data-row]").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-row")));
  const region = () => page.getByRole("region", { name: "Hypervisors table" });

  beforeAll(async () => {
    const first = await startBareFleet({
      prefix: "heatmap-table",
      images: { "alpha.raw": Buffer.alloc(IMAGE_BYTES, 1) },
      vars: VARS,
      nodes: [],
    });
    imageId = await waitFor(
      "alpha to be listed",
      async () => (await callApi(first.server.url, VARS.PRECACHE_API_TOKEN, "GET", "/api/images")).images[0]?.id as string | undefined,
    );
    const dataDir = first.server.dataDir;
    await first.server.stop();
    const database = await openDatabase({ dataDir });
    try {
      const indexes = Array.from({ length: FLEET }, (_, index) => index);
      await database.prisma.hypervisor.createMany({
        data: indexes.map((index) => ({ name: name(index), group: `rack-${index % GROUPS}`, proxies: [], freeBytes: BigInt(2 ** 40) })),
      });
      await database.prisma.hypervisorImage.createMany({
        data: indexes.flatMap((index) => {
          const cell = cellOf(index);
          return cell ? [{ hypervisorName: name(index), imageId, state: cell.state, bytes: BigInt(cell.bytes), error: cell.error }] : [];
        }),
      });
    } finally {
      await database.close();
    }
    server = await startProductionServer({ ...VARS, PRECACHE_DATA_DIR: dataDir, PRECACHE_LOCAL_AGENT: "0" });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (server) fs.rmSync(server.dataDir, { recursive: true, force: true });
  });

  it("opens on the table from the URL, with only the rows in view in the DOM", async () => {
    await signIn(page, server.url, VARS.PRECACHE_ADMIN_PASSWORD, "/hypervisors?view=table");
    await expect.poll(() => page.getByTestId("table-count").textContent(), { timeout: 30_000 }).toBe("5,000 of 5,000 hypervisors");
    expect(await page.getByRole("button", { name: "Table" }).getAttribute("aria-pressed")).toBe("true");
    expect(await page.getByTestId("heatmap").count()).toBe(0);
    const table = page.getByRole("table");
    for (const header of ["Name", "Group", "Online", "Free space", "alpha.raw"])
      expect(await table.getByRole("columnheader", { name: header }).count()).toBe(1);
    expect(await table.getAttribute("aria-rowcount")).toBe(String(FLEET + 1));
    const names = await rowNames();
    expect(names.length).toBeGreaterThan(10);
    expect(names.length).toBeLessThan(80); // of 5,000
    // The heatmap's order: groups by name, then names; rack-0 holds 0, 6, 12…
    expect(names.slice(0, 3)).toEqual([name(0), name(6), name(12)]);
    const row = (index: number) => page.locator(`tr[data-row="${name(index)}"]`);
    expect(await row(0).textContent()).toBe(`${name(0)}rack-0offline1.0 TiBcached`);
    expect(await row(6).getByRole("rowheader").getByRole("link").getAttribute("href")).toBe(`/hypervisors/${name(6)}`);
  });

  it("brings later rows in as it scrolls, and keeps the DOM small", async () => {
    await region().evaluate((element) => element.scrollTo(0, element.scrollHeight));
    await expect.poll(async () => (await rowNames()).at(-1)).toBe(name(4997)); // the last of rack-5 (4997 % 6 = 5)
    const names = await rowNames();
    expect(names).not.toContain(name(0));
    expect(names.length).toBeLessThan(80);
    expect(await page.locator(`tr[data-row="${name(4997)}"]`).getAttribute("aria-rowindex")).toBe(String(FLEET + 1));
    await region().evaluate((element) => element.scrollTo(0, element.scrollHeight / 2));
    await expect.poll(async () => (await rowNames()).includes(name(0))).toBe(false);
    expect((await rowNames()).length).toBeGreaterThan(10);
    await region().evaluate((element) => element.scrollTo(0, 0));
    await expect.poll(async () => (await rowNames())[0]).toBe(name(0));
  });

  it("applies the filter to the rows: failed only, then by name; both in the URL", async () => {
    await page.selectOption("#heatmap-state", "failed");
    await expect.poll(() => page.getByTestId("table-count").textContent()).toBe("50 of 5,000 hypervisors");
    const imageCells = page.locator("[data-testid=heatmap-table] tbody tr[data-row] td:last-child");
    const texts = await imageCells.allTextContents();
    expect(texts.length).toBeGreaterThan(10);
    for (const text of texts) expect(text).toMatch(/^failed: fetch failed: connect ECONNREFUSED 10\.0\.0\.\d+:3128$/);
    expect(new URL(page.url()).searchParams.get("view")).toBe("table");
    expect(new URL(page.url()).searchParams.get("state")).toBe("failed");
    await page.fill("#heatmap-search", "hv-01");
    await expect.poll(() => page.getByTestId("table-count").textContent()).toBe("1 of 5,000 hypervisors");
    expect(await rowNames()).toEqual([name(107)]);
    await page.selectOption("#heatmap-state", "downloading");
    await page.fill("#heatmap-search", "hv-000");
    await expect.poll(() => rowNames()).toEqual([name(3)]);
    expect(await page.locator(`tr[data-row="${name(3)}"] td:last-child`).textContent()).toBe("downloading 50%");
    // The heatmap keeps the filter when the view changes back, and the URL drops view=table.
    await page.getByRole("button", { name: "Heatmap" }).click();
    await expect.poll(() => page.getByTestId("heatmap").count()).toBe(1);
    expect(new URL(page.url()).search).toBe("?q=hv-000&state=downloading");
    expect(await page.getByTestId("heatmap-matches").textContent()).toBe("1 of 5,000 hypervisors match");
    await page.getByRole("button", { name: "Table" }).click();
    await page.getByRole("button", { name: "Clear filter" }).click();
    await expect.poll(() => page.getByTestId("table-count").textContent()).toBe("5,000 of 5,000 hypervisors");
  });

  it("links a node's name to its page", async () => {
    await page.fill("#heatmap-search", name(107));
    await page.getByRole("link", { name: name(107), exact: true }).click();
    await page.waitForURL(`**/hypervisors/${name(107)}`);
    await expect.poll(() => page.locator("main h1").textContent(), { timeout: 15_000 }).toContain(name(107));
  });

  it("scrolls inside its own box at 390 px, not the page", async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.context().addCookies(await page.context().cookies());
    await phone.goto(`${server.url}/hypervisors?view=table`);
    await expect.poll(() => phone.getByTestId("table-count").textContent(), { timeout: 30_000 }).toBe("5,000 of 5,000 hypervisors");
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const scroller = phone.getByRole("region", { name: "Hypervisors table" });
    expect(await scroller.evaluate((element) => element.scrollWidth > element.clientWidth)).toBe(true);
    await phone.close();
  });
});
