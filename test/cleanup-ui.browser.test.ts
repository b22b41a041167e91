// A cleanup in Debian's Chromium against the production server: started from the Images page, it
// opens the cleanup's page at once, which shows each node's outcome as it arrives on the live
// socket (no reload): one node deletes, one refuses with the agent's reason, one answers only when
// the test lets it. The Cleanup page lists it. The hypervisors are bare agents.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishFirstImage, startBareFleet } from "./support/bare-fleet.ts";
import { chromiumAvailable, launchChromium, signIn } from "./support/chromium.ts";
import { callApi, type ProductionServer } from "./support/production-server.ts";
import type { RawAgent } from "./support/raw-agent.ts";

const PASSWORD = "cleanup ui password";
const TOKEN = "cleanup-ui-token";
const IN_USE = "instance disk /var/lib/nova/instances/4e2a/disk is backed by it";

type DeleteAck = (answer: unknown) => void;

describe.skipIf(!chromiumAvailable())("a cleanup's page fills in as nodes answer", () => {
  let server: ProductionServer;
  let browser: Browser;
  let page: Page;
  let agents = new Map<string, RawAgent>();
  let imageName: string;
  /** hv-c3's answer, held until the test releases it. */
  let release: DeleteAck | null = null;
  const api = (method: string, route: string, body?: unknown) => callApi(server.url, TOKEN, method, route, body);
  const outcomeOf = (name: string) => page.getByTestId(`cleanup-node-${name}`).locator(".badge").textContent();

  beforeAll(async () => {
    ({ server, agents } = await startBareFleet({
      prefix: "cleanup-ui",
      images: { "gamma.raw": Buffer.alloc(64 * 1024, 3) },
      vars: { PRECACHE_ADMIN_PASSWORD: PASSWORD, PRECACHE_API_TOKEN: TOKEN, PRECACHE_AGENT_TOKEN: "cleanup-ui-agent" },
      nodes: [
        ["hv-c1", "rack-c"],
        ["hv-c2", "rack-c"],
        ["hv-c3", "rack-c"],
      ],
    }));
    agents
      .get("hv-c1")!
      .socket.on("image:delete", (_command: unknown, ack: DeleteAck) => ack({ ok: true, data: { deleted: true, freedBytes: 65_536 } }));
    agents
      .get("hv-c2")!
      .socket.on("image:delete", (_command: unknown, ack: DeleteAck) => ack({ ok: false, error: { code: "IN_USE", message: IN_USE } }));
    agents.get("hv-c3")!.socket.on("image:delete", (_command: unknown, ack: DeleteAck) => void (release = ack));
    const imageId = await publishFirstImage(server, TOKEN);
    imageName = (await api("GET", `/api/images/${imageId}`)).image.name;
    // A running rollout puts a cell on each node: the Images page's cleanup reaches all three.
    await api("POST", "/api/rollouts", { imageId });
    browser = await launchChromium();
    page = await browser.newPage();
    await signIn(page, server.url, PASSWORD);
  }, 400_000);
  afterAll(async () => {
    for (const agent of agents.values()) agent.close();
    await browser?.close();
    await server?.stop();
  });

  it("starts from the Images page and shows each node's outcome as it arrives", async () => {
    const button = page.getByTestId(`image-${imageName}`).getByRole("button", { name: "Clean up" });
    await button.click();
    const confirm = page.getByRole("dialog", { name: `Clean up ${imageName}?` });
    await confirm.getByRole("button", { name: "Delete from 3 hypervisors" }).click();
    await page.waitForURL("**/cleanups/*");
    await expect.poll(() => page.getByTestId("cleanup-title").textContent(), { timeout: 15_000 }).toBe(`${imageName} from 3 hypervisors`);
    await expect.poll(() => outcomeOf("hv-c1"), { timeout: 15_000 }).toBe("deleted");
    await expect.poll(() => outcomeOf("hv-c2"), { timeout: 15_000 }).toBe("refused");
    expect(await page.getByTestId("cleanup-node-hv-c2").textContent()).toContain(`IN_USE: ${IN_USE}`);
    expect(await outcomeOf("hv-c3")).toBe("waiting");
    expect(await page.getByTestId("cleanup-state").textContent()).toBe("running");

    // The last answer reaches the open page over the socket: no reload (the marker survives).
    await page.evaluate(() => void ((window as unknown as { marker: number }).marker = 1));
    await expect.poll(() => release !== null, { timeout: 15_000 }).toBe(true);
    release!({ ok: true, data: { deleted: true, freedBytes: 65_536 } });
    await expect.poll(() => outcomeOf("hv-c3"), { timeout: 15_000 }).toBe("deleted");
    await expect.poll(() => page.getByTestId("cleanup-state").textContent(), { timeout: 15_000 }).toBe("done");
    expect(await page.getByTestId("cleanup-deleted").textContent()).toBe("2");
    expect(await page.getByTestId("cleanup-refused").textContent()).toBe("1");
    expect(await page.getByTestId("cleanup-progress").textContent()).toBe("3 of 3 answered · 128.0 KiB freed");
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
  }, 60_000);

  it("lists it on the Cleanup page, linking to its page", async () => {
    await page.getByRole("link", { name: "Cleanup", exact: true }).click();
    await page.waitForURL("**/cleanup");
    const row = page.getByTestId("cleanup-row").first();
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain(imageName);
    expect(await row.locator(".badge").textContent()).toBe("done");
    await row.getByRole("link", { name: imageName }).click();
    await page.waitForURL("**/cleanups/*");
    await expect.poll(() => page.getByTestId("cleanup-state").textContent(), { timeout: 15_000 }).toBe("done");
  }, 60_000);

  it("shows not-found for an unknown cleanup and a 404 for a junk id", async () => {
    await page.goto(`${server.url}/cleanups/00000000-0000-4000-8000-000000000000`);
    await expect.poll(() => page.getByTestId("cleanup-not-found").count(), { timeout: 15_000 }).toBe(1);
    expect((await page.goto(`${server.url}/cleanups/not-a-cleanup`))?.status()).toBe(404);
  }, 60_000);
});
