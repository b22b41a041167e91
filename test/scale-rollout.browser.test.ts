// Issue 3's "done when", with real parts: 1300 real agents (Socket.io + downloads) behind a
// two-tier Squid, the production server (npm start) restarted mid-rollout, and Chromium
// watching the heatmap fill. The origin must send the artifact once, and no node may be lost.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseFilePath } from "../agent/download/cache-paths.ts";
import { imageLikeStream } from "../server/images/image-like-data.ts";
import { startFleet, type Fleet } from "./support/agent-fleet.ts";
import { chromiumAvailable, launchChromium } from "./support/chromium.ts";
import { callApi, startProductionServer, type ProductionServer } from "./support/production-server.ts";
import { shouldSkipSquidTests, startSquid, type RunningSquid } from "./support/squid.ts";
import { waitFor } from "./support/test-server.ts";

const NODES = Number(process.env.PRECACHE_SCALE_NODES ?? 1300);
/** Progress lines as they happen (vitest prints console output only at the end). */
const trace = (line: string) =>
  process.env.PRECACHE_SCALE_TRACE && fs.appendFileSync(process.env.PRECACHE_SCALE_TRACE, `${new Date().toISOString()} ${line}\n`);
const IMAGE_BYTES = 512 * 1024;
const TOKENS = {
  PRECACHE_API_TOKEN: "scale-api",
  PRECACHE_AGENT_TOKEN: "scale-agent",
  PRECACHE_ADMIN_PASSWORD: "scale-admin",
  PRECACHE_LOCAL_AGENT: "0",
  LOG_LEVEL: "warn",
};
const skip = shouldSkipSquidTests("scale rollout") || !chromiumAvailable();

describe.skipIf(skip)(`rollout to ${NODES} agents through two Squid tiers`, () => {
  let dataDir: string;
  let server: ProductionServer;
  let tier1: RunningSquid;
  const tier2: RunningSquid[] = [];
  let fleet: Fleet;
  let browser: Browser;
  const report: Record<string, unknown> = {};

  const api = (method: string, route: string, body?: unknown) => callApi(server.url, TOKENS.PRECACHE_API_TOKEN, method, route, body);

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-scale-"));
    fs.mkdirSync(path.join(dataDir, "images"));
    await pipeline(imageLikeStream(IMAGE_BYTES, 7), fs.createWriteStream(path.join(dataDir, "images", "scale-test.raw")));
    tier1 = await startSquid({ name: "scale-t1" });
    for (let i = 0; i < 4; i++) tier2.push(await startSquid({ name: `scale-t2-${i}`, parent: { host: "127.0.0.1", port: tier1.port } }));
    server = await startProductionServer({ ...TOKENS, PRECACHE_DATA_DIR: dataDir });
    await api("POST", "/api/topology", {
      tier1: [{ url: tier1.url, bandwidthMbps: 2000 }],
      groups: tier2.map((squid, i) => ({ name: `rack-${i}`, proxies: [squid.url], bandwidthMbps: 2000 })),
    });
    const started = Date.now();
    fleet = await startFleet({
      server: server.url,
      token: TOKENS.PRECACHE_AGENT_TOKEN,
      count: NODES,
      groups: ["rack-0", "rack-1", "rack-2", "rack-3"],
    });
    report.connectSeconds = (Date.now() - started) / 1000;
    trace(`fleet connected in ${report.connectSeconds} s`);
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await fleet?.stop();
    await server?.stop();
    await Promise.allSettled([tier1?.stop(), ...tier2.map((squid) => squid.stop())]);
    console.log(`scale rollout figures: ${JSON.stringify(report)}`);
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("precaches every node once, survives a server restart, and the heatmap fills live", async () => {
    const { images } = await api("GET", "/api/images");
    const image = images.find((candidate: { name: string }) => candidate.name === "scale-test.raw");
    await api("POST", `/api/images/${image.id}/publish`, {});
    const artifact = await waitFor("artifact ready", async () => {
      const { image: current } = await api("GET", `/api/images/${image.id}`);
      return current.artifact?.state === "ready" ? current.artifact : undefined;
    });

    const page = await signedInHeatmap(browser, server.url, image.id);
    await expect.poll(() => page.getByTestId("count-absent").textContent(), { timeout: 60_000 }).toBe(String(NODES));

    const began = Date.now();
    const { rollout } = await api("POST", "/api/rollouts", { imageId: image.id, perProxyConcurrency: 50 });
    const seen: number[] = [];
    const watch = setInterval(
      () =>
        void page
          .getByTestId("count-cached")
          .textContent()
          .then(
            (text) => seen.push(Number(text)),
            () => undefined,
          ),
      250,
    );

    await expect
      .poll(async () => (await api("GET", `/api/rollouts/${rollout.id}`)).rollout.counts.done, {
        message: "a third of the nodes done",
        timeout: 300_000,
      })
      .toBeGreaterThanOrEqual(NODES / 3);
    report.serverBeforeRestart = server.usage();
    trace(`a third done; restarting the server ${JSON.stringify(report.serverBeforeRestart)}`);
    const port = Number(new URL(server.url).port);
    await server.stop();
    trace("server stopped");
    const restartedAt = Date.now();
    server = await startProductionServer({ ...TOKENS, PRECACHE_DATA_DIR: dataDir }, { port });
    report.restartSeconds = (Date.now() - restartedAt) / 1000;
    trace(`server back after ${report.restartSeconds} s`);

    const final = await waitFor(
      "the rollout to finish after the restart",
      async () => {
        const { rollout: current } = await api("GET", `/api/rollouts/${rollout.id}`);
        trace(`rollout ${current.state} ${JSON.stringify(current.counts)}`);
        return current.state === "running" ? undefined : current;
      },
      600_000,
    );
    report.rolloutSeconds = (Date.now() - began) / 1000;
    report.serverAfter = server.usage();
    clearInterval(watch);

    expect(final.state).toBe("done");
    expect(final.counts).toMatchObject({ done: NODES, failed: 0, pending: 0, downloading: 0 });
    // 1300 targets are more than the rollout view lists inline: page through them.
    expect(final.hypervisorsInline).toBe(false);
    const names = new Set<string>();
    for (let after: string | null = ""; after !== null; ) {
      const page: { targets: { name: string; state: string }[]; nextAfter: string | null } = await api(
        "GET",
        `/api/rollouts/${rollout.id}/targets?limit=1000${after ? `&after=${encodeURIComponent(after)}` : ""}`,
      );
      for (const target of page.targets) if (target.state === "done") names.add(target.name);
      after = page.nextAfter;
    }
    expect(names.size).toBe(NODES);
    for (const agent of fleet.agents) expect(fs.statSync(baseFilePath(agent.config.cacheDir, image.id)).size).toBe(IMAGE_BYTES);

    // One origin fetch per tier-1 Squid; each tier-2 Squid fetched once from tier 1.
    const artifactPath = new URL(artifact.url).pathname;
    const tier1Log = (await tier1.accessLog()).filter((entry) => entry.url.includes(artifactPath));
    report.originFetches = tier1Log.filter((entry) => entry.hierarchy.startsWith("HIER_DIRECT")).length;
    expect(report.originFetches).toBe(1);
    for (const squid of tier2) {
      const log = (await squid.accessLog()).filter((entry) => entry.url.includes(artifactPath));
      expect(log.filter((entry) => !entry.hierarchy.startsWith("HIER_NONE")).length).toBe(1);
    }

    // The heatmap filled while we watched, and ends with every cell cached.
    await expect.poll(() => page.getByTestId("count-cached").textContent(), { timeout: 60_000 }).toBe(String(NODES));
    const partial = seen.filter((count) => count > 0 && count < NODES);
    report.heatmapSamples = { total: seen.length, partial: partial.length };
    expect(partial.length).toBeGreaterThan(3);
    await page.screenshot({ path: path.join(os.tmpdir(), "precache-scale-heatmap.png"), fullPage: true });
  }, 900_000);
});

async function signedInHeatmap(browser: Browser, url: string, imageId: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`${url}/login`);
  await page.waitForLoadState("networkidle"); // hydrated: typing reaches React's state
  await page.fill("#password", TOKENS.PRECACHE_ADMIN_PASSWORD);
  await page.click("button[type=submit]");
  await page.waitForURL("**/images");
  await page.goto(`${url}/hypervisors?image=${imageId}`);
  return page;
}
