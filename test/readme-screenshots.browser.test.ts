// The README's pictures, taken from the real product in Debian's Chromium: a fleet of 96
// hypervisors in four racks mid-rollout (most cached, some downloading, two failed, a few not yet
// started), the heatmap and the rollout page. Always written under test-results/readme/;
// `PRECACHE_UPDATE_SCREENSHOTS=1 npx vitest run test/readme-screenshots.browser.test.ts` also
// replaces docs/screenshots/*.png, which the README shows.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium, signIn } from "./support/chromium.ts";
import { startBareFleet } from "./support/bare-fleet.ts";
import { callApi, type ProductionServer } from "./support/production-server.ts";
import type { RawAgent } from "./support/raw-agent.ts";
import { waitFor } from "./support/test-server.ts";

const PASSWORD = "readme screenshots";
const TOKEN = "readme-token";
const RACKS = ["rack-a", "rack-b", "rack-c", "rack-d"];
const NODES = 96;
const IMAGE_BYTES = 64 * 2 ** 20;
const OUT = path.resolve(import.meta.dirname, "../test-results/readme");
const DOCS = path.resolve(import.meta.dirname, "../docs/screenshots");

describe.skipIf(!chromiumAvailable())("README screenshots", () => {
  let server: ProductionServer;
  let agents = new Map<string, RawAgent>();
  let browser: Browser;
  let page: Page;
  let rolloutId = "";
  const finished = new Set<string>();
  const api = (method: string, route: string, body?: unknown) => callApi(server.url, TOKEN, method, route, body);

  beforeAll(async () => {
    const nodes = Array.from({ length: NODES }, (_, index): [string, string] => [
      `cmp-${RACKS[index % RACKS.length].slice(-1)}${String(Math.floor(index / RACKS.length) + 1).padStart(2, "0")}`,
      RACKS[index % RACKS.length],
    ]);
    ({ server, agents } = await startBareFleet({
      prefix: "readme",
      images: { "ubuntu-24.04-server.raw": Buffer.alloc(IMAGE_BYTES, 7) },
      vars: { PRECACHE_ADMIN_PASSWORD: PASSWORD, PRECACHE_API_TOKEN: TOKEN, PRECACHE_AGENT_TOKEN: "readme-agent" },
      nodes,
    }));
    const imageId = await waitFor("the image listed", async () => (await api("GET", "/api/images")).images[0]?.id as string | undefined);
    await api("POST", `/api/images/${imageId}/publish`, {});
    await waitFor(
      "the artifact",
      async () => ((await api("GET", `/api/images/${imageId}`)).image.artifact?.state === "ready" ? true : undefined),
      60_000,
    );
    // Each rack behind its own tier-2 Squid, one tier-1 Squid: the planner can then estimate.
    await api("POST", "/api/topology", {
      tier1: [{ url: "http://squid-t1.example.org:3128", bandwidthMbps: 10_000 }],
      nodeBandwidthMbps: 1000,
      groups: RACKS.map((rack) => ({ name: rack, proxies: [`http://squid-${rack}.example.org:3128`], bandwidthMbps: 2000 })),
    });
    const commanded = new Set<string>();
    for (const [name, agent] of agents) agent.socket.on("image:precache", () => void commanded.add(name));
    const { rollout } = await api("POST", "/api/rollouts", { imageId, strategy: "jitter", perProxyConcurrency: 1000, maxAttempts: 1 });
    rolloutId = rollout.id;
    await waitFor("every node commanded", () => (commanded.size === NODES ? true : undefined), 30_000);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    // The rollout page watches while the fleet downloads, so its throughput chart has points.
    await signIn(page, server.url, PASSWORD, `/rollouts/${rolloutId}`);
    await page.waitForLoadState("networkidle");
    // Twelve seconds of progress at different speeds; most finish, two fail, the rest are still on their way.
    const names = [...agents.keys()];
    const speed = (index: number) => (2 + (index % 7)) * 2 ** 20;
    for (let second = 1; second <= 12; second++) {
      for (const [index, name] of names.entries()) {
        if (index >= NODES - 6 || finished.has(name)) continue; // not started yet (their jitter delay), or over
        const bytes = Math.min(IMAGE_BYTES, speed(index) * second);
        agents.get(name)!.socket.emit("download:progress", { rolloutId, imageId, bytes, totalBytes: IMAGE_BYTES });
        const isFailed = index === 13 || index === 58;
        if (second === 6 && isFailed)
          await finish(name, {
            ok: false,
            bytes,
            error: { code: "DISK_FULL", message: "not enough space in /var/lib/nova/instances/_base" },
          });
        if (bytes === IMAGE_BYTES && index < NODES - 30 && !isFailed) await finish(name, { ok: true, bytes });
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }

    async function finish(name: string, outcome: Record<string, unknown>): Promise<void> {
      if (finished.has(name)) return;
      finished.add(name);
      const ack = await agents
        .get(name)!
        .socket.timeout(5000)
        .emitWithAck("download:finished", { resultId: randomUUID(), rolloutId, imageId, seconds: 9, ...outcome });
      expect(ack).toMatchObject({ ok: true });
    }
  }, 400_000);

  afterAll(async () => {
    for (const agent of agents.values()) agent.close();
    await browser?.close();
    await server?.stop();
  });

  async function save(name: string): Promise<void> {
    fs.mkdirSync(OUT, { recursive: true });
    const file = path.join(OUT, name);
    await page.screenshot({ path: file });
    if (process.env.PRECACHE_UPDATE_SCREENSHOTS === "1") {
      fs.mkdirSync(DOCS, { recursive: true });
      fs.copyFileSync(file, path.join(DOCS, name));
    }
  }

  it("the rollout page, watched while the fleet downloaded", async () => {
    await expect.poll(() => page.locator("main").textContent(), { timeout: 15_000 }).toContain("ubuntu-24.04-server.raw");
    await save("rollout.png");
  });
  it("the heatmap of 96 hypervisors mid-rollout", async () => {
    const { rollout } = await api("GET", `/api/rollouts/${rolloutId}`);
    expect(rollout.counts.failed).toBe(2);
    expect(rollout.counts.done).toBe(finished.size - 2);
    await page.goto(`${server.url}/hypervisors`);
    await expect.poll(() => page.getByTestId("count-failed").textContent(), { timeout: 15_000 }).toBe("2");
    await save("heatmap.png");
  });
});
