// The operator's rollout flow in Debian's Chromium against the production server: the rollout
// dialog (count, planner estimates, options, focus kept and restored) lands on the new rollout's
// page, which names the image; cancelling asks first, naming the count; the history filters by
// image and state; unknown rollouts and pages are proper not-found pages. The hypervisors are bare
// agents that never download, so rollouts to them stay running.
import { randomUUID } from "node:crypto";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium, signIn } from "./support/chromium.ts";
import { startBareFleet } from "./support/bare-fleet.ts";
import { callApi, type ProductionServer } from "./support/production-server.ts";
import type { RawAgent } from "./support/raw-agent.ts";
import { waitFor } from "./support/test-server.ts";

const PASSWORD = "rollout dialog password";
const TOKEN = "rollout-ui-token";
const AGENT_TOKEN = "rollout-ui-agent";

describe.skipIf(!chromiumAvailable())("rollout dialog, cancel confirmation and history in Chromium", () => {
  let server: ProductionServer;
  let browser: Browser;
  let page: Page;
  let agents = new Map<string, RawAgent>();
  const images: Record<string, string> = {};
  const api = (method: string, route: string, body?: unknown) => callApi(server.url, TOKEN, method, route, body);

  beforeAll(async () => {
    ({ server, agents } = await startBareFleet({
      prefix: "rollout-ui",
      images: { "alpha.raw": Buffer.alloc(256 * 1024, 1), "beta.raw": Buffer.alloc(128 * 1024, 2) },
      vars: { PRECACHE_ADMIN_PASSWORD: PASSWORD, PRECACHE_API_TOKEN: TOKEN, PRECACHE_AGENT_TOKEN: AGENT_TOKEN },
      nodes: [
        ["hv-a1", "rack-a"],
        ["hv-a2", "rack-a"],
        ["hv-b1", "rack-b"],
      ],
    }));
    await api("POST", "/api/topology", {
      groups: [
        { name: "rack-a", proxies: ["http://squid-a.invalid:3128"], bandwidthMbps: 1000 },
        { name: "rack-b", proxies: ["http://squid-b.invalid:3128"], bandwidthMbps: 1000 },
      ],
    });
    await waitFor("both images to be listed", async () => {
      const listed = (await api("GET", "/api/images")).images as { id: string; name: string }[];
      for (const image of listed) images[image.name] = image.id;
      return images["alpha.raw"] && images["beta.raw"] ? true : undefined;
    });
    await api("POST", `/api/images/${images["alpha.raw"]}/publish`, {});
    await waitFor(
      "alpha's artifact",
      async () => ((await api("GET", `/api/images/${images["alpha.raw"]}`)).image.artifact?.state === "ready" ? true : undefined),
      60_000,
    );
    browser = await launchChromium();
    page = await browser.newPage();
    await signIn(page, server.url, PASSWORD);
  }, 400_000);
  afterAll(async () => {
    for (const agent of agents.values()) agent.close();
    await browser?.close();
    await server?.stop();
  });

  it("says why Precache is disabled for an unpublished image", async () => {
    const button = page.getByTestId("image-beta.raw").getByRole("button", { name: "Precache…" });
    await expect.poll(() => button.isDisabled(), { timeout: 15_000 }).toBe(true);
    expect(await button.getAttribute("title")).toBe("not published yet: publish it first");
    const describedBy = await button.getAttribute("aria-describedby");
    expect(describedBy).toBeTruthy();
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).toBe("not published yet: publish it first");
  });

  it("opens the dialog with the target count and both estimates, keeps focus, and starts a rollout to a group", async () => {
    const opener = page.getByTestId("image-alpha.raw").getByRole("button", { name: "Precache…" });
    await opener.click();
    const dialog = page.getByRole("dialog", { name: "Precache alpha.raw" });
    expect(await dialog.getAttribute("aria-modal")).toBe("true");
    await expect
      .poll(() => dialog.getByTestId("rollout-dialog-targets").textContent(), { timeout: 15_000 })
      .toBe("all 3 hypervisors, and hypervisors that join later");
    expect(await dialog.getByTestId("estimate-squid").textContent()).toMatch(/planner: ≈ \d+ s/);
    expect(await dialog.getByTestId("estimate-peers").textContent()).toMatch(/planner: ≈ \d+ s/);
    // Tab and Shift+Tab never leave the dialog; Esc closes it and focus returns to the opener.
    for (let index = 0; index < 25; index++) {
      await page.keyboard.press(index % 3 === 2 ? "Shift+Tab" : "Tab");
      expect(await page.evaluate(() => Boolean(document.activeElement?.closest("[role=dialog]")))).toBe(true);
    }
    await page.keyboard.press("Escape");
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Precache…");

    await opener.click();
    await dialog.getByLabel("Chosen groups").check();
    await dialog.getByLabel("rack-a").check();
    await expect
      .poll(() => dialog.getByTestId("rollout-dialog-targets").textContent(), { timeout: 15_000 })
      .toBe("2 hypervisors in rack-a, and members that join later");
    await dialog.getByRole("radio", { name: /Peers \(first nodes/ }).check();
    await dialog.getByLabel("Strategy").selectOption("jitter");
    await dialog.getByLabel("Jitter seconds").fill("5");
    await dialog.getByLabel("Downloads per proxy at once").fill("3");
    await dialog.getByLabel("Bandwidth cap per node in Mbit/s").fill("100");
    await page.screenshot({ path: path.join(server.dataDir, "rollout-dialog.png") });
    await dialog.getByRole("button", { name: "Start rollout to 2" }).click();
    await page.waitForURL("**/rollouts/*");
    const id = page.url().split("/").pop()!;
    await expect.poll(() => page.getByTestId("rollout-title").textContent(), { timeout: 15_000 }).toMatch(/^alpha\.raw to 2 hypervisors/);
    expect(await page.getByTestId("rollout-when").textContent()).toContain("by admin");
    const { rollout } = await api("GET", `/api/rollouts/${id}`);
    expect(rollout).toMatchObject({
      imageName: "alpha.raw",
      source: "peers",
      strategy: "jitter",
      jitterSeconds: 5,
      perProxyConcurrency: 3,
      bandwidthMbps: 100,
      createdBy: "admin",
      targets: 2,
      selector: { groups: ["rack-a"] },
    });
  }, 60_000);

  it("asks before cancelling, naming how many hypervisors it stops", async () => {
    await page.getByRole("button", { name: "Cancel rollout" }).click();
    const confirm = page.getByRole("dialog", { name: "Cancel the rollout of alpha.raw?" });
    expect(await confirm.getByTestId("cancel-summary").textContent()).toMatch(
      /^2 hypervisors still waiting or downloading will not get alpha\.raw/,
    );
    await confirm.getByRole("button", { name: "Keep" }).click();
    await expect.poll(() => confirm.count()).toBe(0);
    expect(await page.getByTestId("rollout-state").textContent()).toBe("running");
    await page.getByRole("button", { name: "Cancel rollout" }).click();
    await confirm.getByRole("button", { name: "Cancel for 2 hypervisors" }).click();
    await expect.poll(() => page.getByTestId("rollout-state").textContent(), { timeout: 15_000 }).toBe("cancelled");
    expect(await page.getByTestId("rollout-cancelled").textContent()).toBe("2");
    expect(await page.getByRole("button", { name: "Cancel rollout" }).count()).toBe(0);
  }, 60_000);

  it("lists the history with who started each rollout, filtered by image and state", async () => {
    await api("POST", `/api/images/${images["beta.raw"]}/publish`, {});
    await waitFor(
      "beta's artifact",
      async () => ((await api("GET", `/api/images/${images["beta.raw"]}`)).image.artifact?.state === "ready" ? true : undefined),
      60_000,
    );
    await api("POST", "/api/rollouts", { imageId: images["beta.raw"] });
    await api("POST", "/api/rollouts", { imageId: images["alpha.raw"] });
    await page.getByRole("link", { name: "Rollouts", exact: true }).click();
    await page.waitForURL("**/rollouts");
    const rows = page.getByTestId("rollout-row");
    await expect
      .poll(() => rows.getByTestId("rollout-image").allTextContents(), { timeout: 15_000 })
      .toEqual(["alpha.raw", "beta.raw", "alpha.raw"]);
    expect(await rows.nth(0).textContent()).toContain("token:bootstrap");
    expect(await rows.nth(2).textContent()).toContain("admin");
    await page.selectOption("#rollouts-state", "cancelled");
    await expect.poll(() => rows.getByTestId("rollout-row-state").allTextContents(), { timeout: 15_000 }).toEqual(["cancelled"]);
    await page.selectOption("#rollouts-state", "");
    await page.selectOption("#rollouts-image", images["beta.raw"]);
    await expect.poll(() => rows.getByTestId("rollout-image").allTextContents(), { timeout: 15_000 }).toEqual(["beta.raw"]);
    expect(page.url()).toContain(`imageId=${images["beta.raw"]}`);
    await rows.getByTestId("rollout-image").click();
    await page.waitForURL(/\/rollouts\/[0-9a-f-]{36}$/);
    await expect.poll(() => page.getByTestId("rollout-title").textContent(), { timeout: 15_000 }).toMatch(/^beta\.raw to 3 hypervisors/);
    // Its nodes, a page at a time from GET /api/rollouts/:id/targets.
    await expect.poll(() => page.getByTestId("rollout-targets").locator("tbody tr").count(), { timeout: 15_000 }).toBe(3);
    expect(await page.getByTestId("target-hv-b1").textContent()).toContain("hv-b1");
    await page.screenshot({ path: path.join(server.dataDir, "rollout.png"), fullPage: true });
  }, 60_000);

  it("shows a retrying node with its attempt and reason, and a failed one with its reason", async () => {
    const { rollouts } = await api("GET", `/api/rollouts?imageId=${images["beta.raw"]}&state=running`);
    const id = rollouts[0].id as string;
    // Paused, the scheduler sends nothing more: the retrying node stays retrying while we look.
    await api("POST", `/api/rollouts/${id}/pause`, {});
    const downloading = (await api("GET", `/api/rollouts/${id}/targets?state=downloading`)).targets.map((t: { name: string }) => t.name);
    expect(downloading.length).toBeGreaterThanOrEqual(2);
    const [retrier, failer] = downloading as string[];
    const finish = async (name: string, error: { code: string; message: string }) => {
      const ack = await agents.get(name)!.socket.timeout(5000).emitWithAck("download:finished", {
        resultId: randomUUID(),
        rolloutId: id,
        imageId: images["beta.raw"],
        ok: false,
        bytes: 0,
        seconds: 1,
        error,
      });
      expect(ack).toMatchObject({ ok: true, data: { recorded: true } });
    };
    await finish(retrier, { code: "FETCH_FAILED", message: "connection reset by squid.invalid" });
    const diskFull = `no space left on /var/lib/nova/instances/_base: needs 128 KiB, has 12 KiB; ${"x".repeat(60)}`;
    await finish(failer, { code: "DISK_FULL", message: diskFull });
    await page.goto(`${server.url}/rollouts/${id}`);
    await expect.poll(() => page.getByTestId("rollout-retrying").textContent(), { timeout: 15_000 }).toBe("1");
    expect(await page.getByTestId("rollout-failed").textContent()).toBe("1");
    // With failures the node list opens on them: the reason, cut short, with the whole text behind it.
    const failedRow = page.getByTestId(`target-${failer}`);
    await expect.poll(() => failedRow.locator(".badge").textContent(), { timeout: 15_000 }).toBe("failed after 1");
    expect(await failedRow.locator("summary").textContent()).toMatch(/^DISK_FULL: no space left on .*…$/);
    await failedRow.locator("summary").click();
    expect(await failedRow.locator("pre").textContent()).toBe(`DISK_FULL: ${diskFull}`);
    await page.getByLabel("Show hypervisors").selectOption("retrying");
    await expect
      .poll(() => page.getByTestId(`target-${retrier}`).locator(".badge").textContent(), { timeout: 15_000 })
      .toBe("retrying 1/3: FETCH_FAILED: connection reset by squid.invalid");
    expect(await page.getByRole("button", { name: "Retry 1 failed" }).count()).toBe(1);
  }, 60_000);

  it("asks before a cleanup, naming how many hypervisors hold the image", async () => {
    await page.getByRole("link", { name: "Images", exact: true }).click();
    await page.waitForURL("**/images");
    const button = page.getByTestId("image-beta.raw").getByRole("button", { name: "Clean up" });
    await button.click();
    const confirm = page.getByRole("dialog", { name: "Clean up beta.raw?" });
    // beta's running rollout put a (pending or downloading) cell on each of the three nodes.
    await expect
      .poll(() => confirm.getByTestId("cleanup-summary").textContent(), { timeout: 15_000 })
      .toMatch(/cache of 3 hypervisors, freeing about/);
    expect(await confirm.getByRole("button", { name: "Delete from 3 hypervisors" }).count()).toBe(1);
    await confirm.getByRole("button", { name: "Keep" }).click();
    await expect.poll(() => confirm.count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Clean up");
  }, 60_000);

  it("shows not-found for an unknown rollout and a styled 404 page", async () => {
    await page.goto(`${server.url}/rollouts/00000000-0000-4000-8000-000000000000`);
    await expect.poll(() => page.getByTestId("rollout-not-found").count(), { timeout: 15_000 }).toBe(1);
    expect(await page.getByTestId("rollout-not-found").textContent()).toContain("No such rollout");
    const response = await page.goto(`${server.url}/rollouts/not-a-rollout`);
    expect(response?.status()).toBe(404);
    expect(await page.getByTestId("not-found").textContent()).toContain("Page not found");
    expect(await page.getByRole("link", { name: "Rollouts" }).count()).toBe(1);
  }, 60_000);
});
