// Operator experience at fleet scale, in Debian's Chromium against the production server: the
// heatmap by keyboard and through its filter bar (kept in the URL, and across sign-in), the 390 px
// layout, the Topology form marking the bad field, pinning images, setting a node's group and
// deleting a group, coverage per image and group, removing and re-fetching an image on a node. The hypervisors are bare agents that report what the test tells them to.
import { randomUUID } from "node:crypto";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium, signIn } from "./support/chromium.ts";
import { startBareFleet } from "./support/bare-fleet.ts";
import { callApi, type ProductionServer } from "./support/production-server.ts";
import type { RawAgent } from "./support/raw-agent.ts";
import { waitFor } from "./support/test-server.ts";

const PASSWORD = "fleet ux password";
const TOKEN = "fleet-ux-token";
const AGENT_TOKEN = "fleet-ux-agent";
const LONG_ERROR = `fetch failed: connect ECONNREFUSED 10.20.30.40:3128 (undici ${"y".repeat(160)}) end-of-error`;

describe.skipIf(!chromiumAvailable())("operator experience at fleet scale in Chromium", () => {
  let server: ProductionServer;
  let browser: Browser;
  let page: Page;
  let imageId = "";
  let agents = new Map<string, RawAgent>();
  const api = (method: string, route: string, body?: unknown) => callApi(server.url, TOKEN, method, route, body);

  beforeAll(async () => {
    ({ server, agents } = await startBareFleet({
      prefix: "fleet-ux",
      images: { "alpha.raw": Buffer.alloc(128 * 1024, 1) },
      vars: { PRECACHE_ADMIN_PASSWORD: PASSWORD, PRECACHE_API_TOKEN: TOKEN, PRECACHE_AGENT_TOKEN: AGENT_TOKEN },
      nodes: [
        ["hv-a1", "rack-a"],
        ["hv-a2", "rack-a"],
        ["hv-b1", "rack-b"],
      ],
    }));
    await api("POST", "/api/topology", { groups: [{ name: "rack-empty", proxies: [] }] });
    imageId = await waitFor("alpha to be listed", async () => (await api("GET", "/api/images")).images[0]?.id as string | undefined);
    await api("POST", `/api/images/${imageId}/publish`, {});
    await waitFor(
      "alpha's artifact",
      async () => ((await api("GET", `/api/images/${imageId}`)).image.artifact?.state === "ready" ? true : undefined),
      60_000,
    );
    // hv-a1 places the image (one cached cell); hv-a2 fails its one attempt with a long
    // undici-style error (one failed cell).
    // One rollout each: a rollout's first wave may be a single node.
    const report = async (name: string, outcome: { ok: boolean; bytes: number; error?: unknown }) => {
      const { rollout } = await api("POST", "/api/rollouts", { imageId, hypervisors: [name], maxAttempts: 1 });
      await waitFor(`${name} to be downloading`, async () => {
        const { targets } = await api("GET", `/api/rollouts/${rollout.id}/targets?state=downloading`);
        return targets.length === 1 ? true : undefined;
      });
      const ack = await agents
        .get(name)!
        .socket.timeout(5000)
        .emitWithAck("download:finished", { resultId: randomUUID(), rolloutId: rollout.id, imageId, seconds: 1, ...outcome });
      expect(ack).toMatchObject({ ok: true });
    };
    await report("hv-a1", { ok: true, bytes: 128 * 1024 });
    await report("hv-a2", { ok: false, bytes: 0, error: { code: "FETCH_FAILED", message: LONG_ERROR } });
    browser = await launchChromium();
    page = await browser.newPage();
  }, 400_000);
  afterAll(async () => {
    for (const agent of agents.values()) agent.close();
    await browser?.close();
    await server?.stop();
  });

  it("keeps a filtered deep link across sign-in and filters by state and name in the URL", async () => {
    await signIn(page, server.url, PASSWORD, "/hypervisors?state=failed");
    await expect.poll(() => page.getByTestId("heatmap-matches").textContent(), { timeout: 15_000 }).toBe("1 of 3 hypervisors match");
    expect(await page.inputValue("#heatmap-state")).toBe("failed");
    expect(await page.getByTestId("heatmap").getAttribute("aria-label")).toMatch(
      /^Heatmap of 3 hypervisors for alpha\.raw: .*failed 1.*; 1 match the filter$/,
    );
    await page.fill("#heatmap-search", "b1");
    await expect.poll(() => page.getByTestId("heatmap-matches").textContent()).toBe("0 of 3 hypervisors match");
    await expect.poll(() => new URL(page.url()).searchParams.get("q")).toBe("b1");
    expect(new URL(page.url()).searchParams.get("state")).toBe("failed");
    await page.selectOption("#heatmap-state", "");
    await expect.poll(() => page.getByTestId("heatmap-matches").textContent()).toBe("1 of 3 hypervisors match");
    await page.selectOption("#heatmap-group", "rack-a");
    await page.fill("#heatmap-search", "");
    await expect.poll(() => page.getByTestId("heatmap-matches").textContent()).toBe("2 of 3 hypervisors match");
    expect(new URL(page.url()).search).toBe("?group=rack-a"); // current at once: copying it shares this view
    await page.reload();
    await expect.poll(() => page.getByTestId("heatmap-matches").textContent(), { timeout: 15_000 }).toBe("2 of 3 hypervisors match");
    await page.getByRole("button", { name: "Clear filter" }).click();
    await expect.poll(() => page.url()).not.toContain("group=");
  });

  it("walks the heatmap with the keyboard, announces each cell and opens one with Enter", async () => {
    await page.goto(`${server.url}/hypervisors`);
    await page.waitForLoadState("networkidle");
    await expect.poll(() => page.getByTestId("count-failed").textContent(), { timeout: 15_000 }).toBe("1");
    await page.getByTestId("heatmap").focus();
    const announced = () => page.getByTestId("heatmap-announce").textContent();
    await expect.poll(announced).toBe("hv-a1, cached, online, group rack-a");
    expect(await page.getByTestId("heatmap-focus").isVisible()).toBe(true);
    await page.keyboard.press("ArrowRight");
    await expect.poll(announced).toBe("hv-a2, failed, online, group rack-a");
    // The tooltip gives a short reason that wraps, and sends to the node page for the rest.
    const tooltip = page.getByRole("tooltip");
    expect(await tooltip.textContent()).toContain("(full text on the node page)");
    expect(await tooltip.textContent()).not.toContain("end-of-error");
    const box = (await tooltip.boundingBox())!;
    expect(box.width).toBeLessThanOrEqual(362);
    await page.keyboard.press("ArrowDown");
    await expect.poll(announced).toBe("hv-b1, absent, online, group rack-b");
    await page.keyboard.press("ArrowUp");
    await expect.poll(announced).toBe("hv-a1, cached, online, group rack-a");
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("Enter");
    await page.waitForURL("**/hypervisors/hv-a2");
    await expect
      .poll(() => page.locator(`[data-testid=node-image-${imageId}]`).textContent(), { timeout: 15_000 })
      .toContain("end-of-error");
  });

  it("logs the failure's long error once (the server's warn), not once per layer", () => {
    expect(server.output().split("end-of-error").length - 1).toBe(1);
  });

  it("sets a node's group from its page", async () => {
    await page.goto(`${server.url}/hypervisors/hv-b1`);
    await page.waitForLoadState("networkidle");
    await page.fill("#node-group", "rack-c");
    await page.getByRole("button", { name: "Set group" }).click();
    await expect.poll(() => page.getByTestId("toasts").textContent(), { timeout: 15_000 }).toContain("hv-b1 is now in rack-c");
    await expect.poll(async () => (await api("GET", "/api/hypervisors/hv-b1")).hypervisor.group).toBe("rack-c");
  });

  it("marks the bad Topology field and deletes an empty group", async () => {
    await page.goto(`${server.url}/topology`);
    await page.waitForLoadState("networkidle");
    await page.getByRole("button", { name: "Add tier-1 Squid" }).click();
    await page.getByLabel("Squid 1 URL").fill("squid-without-scheme");
    await page.getByRole("button", { name: "Save topology" }).click();
    const field = page.getByLabel("Squid 1 URL");
    await expect.poll(() => field.getAttribute("aria-invalid"), { timeout: 15_000 }).toBe("true");
    expect(await page.locator("#tier1-0-url-error").textContent()).toMatch(/proxy URL with scheme and host/);
    expect(await field.getAttribute("aria-describedby")).toBe("tier1-0-url-error");
    // rack-a still has members: its Delete says why it cannot.
    expect(await page.getByRole("button", { name: "Delete group rack-a" }).isDisabled()).toBe(true);
    await page.getByRole("button", { name: "Delete group rack-empty" }).click();
    await expect.poll(() => page.getByTestId("group-rack-empty").count(), { timeout: 15_000 }).toBe(0);
    expect((await api("GET", "/api/topology")).topology.groups.map((g: { name: string }) => g.name)).not.toContain("rack-empty");
  });

  it("pins and unpins an image from the Images page", async () => {
    await page.goto(`${server.url}/images`);
    const row = page.getByTestId("image-alpha.raw");
    await row.getByRole("button", { name: "Pin", exact: true }).click();
    await expect.poll(() => row.getByTestId("pinned").count(), { timeout: 15_000 }).toBe(1);
    expect((await api("GET", `/api/images/${imageId}`)).image.pinned).toBe(true);
    await row.getByRole("button", { name: "Unpin" }).click();
    await expect.poll(() => row.getByTestId("pinned").count(), { timeout: 15_000 }).toBe(0);
    expect((await api("GET", `/api/images/${imageId}`)).image.pinned).toBe(false);
    await page.getByRole("button", { name: "Re-read image source" }).click();
    await expect.poll(() => page.getByTestId("toasts").textContent(), { timeout: 15_000 }).toContain("Re-read image source: 1 image");
    // Where the image is now (cells), not the latest rollout's tally.
    expect(await row.getByTestId("coverage").textContent()).toBe("cached on 1 / 3");
  });

  it("says where each image is, cached on X / Y, with a per-group breakdown reached by keyboard and by hover", async () => {
    await page.goto(`${server.url}/images`);
    const row = page.getByTestId("image-alpha.raw");
    const coverage = row.getByTestId("coverage");
    const groups = row.getByTestId("coverage-groups");
    await expect.poll(() => coverage.textContent(), { timeout: 15_000 }).toBe("cached on 1 / 3");
    expect(await groups.isVisible()).toBe(false);
    // By keyboard alone: Tab from the first button of the page until the coverage button has focus.
    await page.getByRole("button", { name: "Re-read image source" }).focus();
    const isFocused = () => coverage.evaluate((element) => element === document.activeElement);
    for (let presses = 0; presses < 12 && !(await isFocused()); presses += 1) await page.keyboard.press("Tab");
    expect(await isFocused()).toBe(true);
    expect(await groups.isVisible()).toBe(true);
    // hv-b1 moved to rack-c above; the breakdown is the button's accessible description too.
    expect(await groups.textContent()).toBe("1 of 3 registered hypervisors hold a verified copy.rack-a: 1 / 2rack-c: 0 / 1");
    expect(await coverage.getAttribute("aria-describedby")).toBe(await groups.getAttribute("id"));
    await page.keyboard.press("Escape");
    expect(await groups.isVisible()).toBe(false);
    await coverage.blur();
    await coverage.hover();
    await expect.poll(() => groups.isVisible()).toBe(true);
    await page.mouse.move(0, 0);
    await expect.poll(() => groups.isVisible()).toBe(false);
  });

  it("re-fetches and removes an image on the node page, after a confirmation naming node, image and size", async () => {
    // The bare agent deletes nothing real; it answers as an agent would.
    agents
      .get("hv-a1")!
      .socket.on("image:delete", (_command: unknown, ack: (answer: unknown) => void) =>
        ack({ ok: true, data: { deleted: true, freedBytes: 128 * 1024 } }),
      );
    await page.goto(`${server.url}/hypervisors/hv-a1`);
    const row = page.locator(`[data-testid=node-image-${imageId}]`);
    const dialog = page.getByTestId("confirm-dialog");
    await row.getByRole("button", { name: "Re-fetch alpha.raw" }).click({ timeout: 15_000 });
    expect(await dialog.getByRole("heading").textContent()).toBe("Re-fetch alpha.raw on hv-a1?");
    expect(await dialog.getByTestId("refetch-summary").textContent()).toMatch(/^hv-a1 downloads alpha\.raw \(128\.0 KiB\) again/);
    await dialog.getByRole("button", { name: "Re-fetch on hv-a1" }).click();
    await expect
      .poll(() => page.getByTestId("toasts").textContent(), { timeout: 15_000 })
      .toMatch(/Re-fetching alpha\.raw on hv-a1: rollout \w{8} started/);
    const latest = (await api("GET", `/api/rollouts?imageId=${imageId}`)).rollouts[0];
    expect((await api("GET", `/api/rollouts/${latest.id}`)).rollout).toMatchObject({ selector: { hypervisors: ["hv-a1"] }, targets: 1 });

    await row.getByRole("button", { name: "Remove alpha.raw from this node" }).click();
    expect(await dialog.getByRole("heading").textContent()).toBe("Remove alpha.raw from hv-a1?");
    expect(await dialog.getByTestId("remove-summary").textContent()).toContain("hv-a1 deletes its cached copy of alpha.raw (128.0 KiB)");
    await dialog.getByRole("button", { name: "Remove from hv-a1" }).click();
    await expect
      .poll(() => page.getByTestId("toasts").textContent(), { timeout: 15_000 })
      .toContain("alpha.raw removed from hv-a1: freed 128.0 KiB");
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(0);
    const audited = await api("GET", "/api/audit?action=hypervisor.remove-image");
    expect(audited.events[0]).toMatchObject({ target: "hv-a1", imageId, outcome: "ok" });
  });

  it("says why a node page's actions cannot act while the node is offline", async () => {
    agents.get("hv-a2")!.close();
    await page.goto(`${server.url}/hypervisors/hv-a2`);
    const remove = page.getByRole("button", { name: "Remove alpha.raw from this node" });
    // Until the session has loaded, the reason is "not signed in"; then the node's own.
    await expect.poll(() => remove.getAttribute("title"), { timeout: 15_000 }).toBe("hv-a2 is offline: its agent must be connected");
    expect(await remove.isDisabled()).toBe(true);
    const description = await remove.getAttribute("aria-describedby");
    expect(await page.locator(`[id="${description}"]`).textContent()).toBe("hv-a2 is offline: its agent must be connected");
    expect(await page.getByRole("button", { name: "Re-fetch alpha.raw" }).isDisabled()).toBe(true);
  });

  it("says why a viewer cannot remove or re-fetch: the role comes first", async () => {
    await api("POST", "/api/users", { name: "vera", role: "viewer", password: "vera viewer password" });
    const context = await browser.newContext();
    const viewer = await context.newPage();
    await viewer.goto(`${server.url}/login?next=${encodeURIComponent("/hypervisors/hv-a2")}`);
    await viewer.waitForLoadState("networkidle");
    await viewer.fill("#username", "vera");
    await viewer.fill("#password", "vera viewer password");
    await viewer.click("button[type=submit]");
    await viewer.waitForURL("**/hypervisors/hv-a2");
    for (const name of ["Remove alpha.raw from this node", "Re-fetch alpha.raw"]) {
      const button = viewer.getByRole("button", { name });
      await expect.poll(() => button.getAttribute("title"), { timeout: 15_000 }).toBe("needs the operator role; vera is viewer");
      expect(await button.isDisabled()).toBe(true);
    }
    await context.close();
  });

  it("fits 390 px: no horizontal page scroll, and the whole navigation reachable", async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.context().addCookies(await page.context().cookies());
    for (const route of ["/images", "/hypervisors", "/hypervisors/hv-a2", "/topology"]) {
      await phone.goto(server.url + route);
      await phone.waitForLoadState("networkidle");
      await expect.poll(() => phone.locator("main h1").count(), { timeout: 15_000 }).toBe(1);
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      // On failure, name what sticks out: the first elements past the right edge.
      const overflowing =
        width > 390
          ? await phone.evaluate(() =>
              [...document.querySelectorAll("body *")]
                .filter((element) => element.getBoundingClientRect().right > 391)
                .slice(0, 6)
                .map((element) => `${element.tagName.toLowerCase()}.${element.className}`)
                .join(" | "),
            )
          : "";
      expect({ route, width: width <= 390 ? "fits" : `${width}px: ${overflowing}` }).toEqual({ route, width: "fits" });
      const signOut = (await phone.getByRole("button", { name: "Sign out" }).boundingBox())!;
      expect(signOut.x + signOut.width).toBeLessThanOrEqual(390);
      const cleanup = (await phone.getByRole("link", { name: "Cleanup" }).boundingBox())!;
      expect(cleanup.x + cleanup.width).toBeLessThanOrEqual(390);
    }
    // The proxy field keeps room for a URL instead of shrinking to "http://".
    expect((await phone.getByLabel("rack-a proxies, comma-separated").boundingBox())!.width).toBeGreaterThanOrEqual(200);
    await phone.screenshot({ path: path.join(server.dataDir, "topology-390.png"), fullPage: true });
    // The operator's colour-scheme preference is followed.
    const background = () => phone.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await phone.emulateMedia({ colorScheme: "light" });
    expect(await background()).toBe("rgb(246, 247, 249)");
    await phone.emulateMedia({ colorScheme: "dark" });
    expect(await background()).toBe("rgb(15, 20, 25)");
    await phone.close();
  });
});
