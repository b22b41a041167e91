// Every page of the dashboard at a desktop and a phone size, in the dark and the light scheme:
// no horizontal page overflow, no serious or critical axe-core violation, and a screenshot of each
// under test-results/ (kept by CI). The hypervisors are bare agents; one rollout and one cleanup are running.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishFirstImage, startBareFleet } from "./support/bare-fleet.ts";
import { chromiumAvailable, launchChromium, signIn } from "./support/chromium.ts";
import { callApi, type ProductionServer } from "./support/production-server.ts";

const PASSWORD = "every page password";
const TOKEN = "every-page-token";
const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const SHOTS = path.resolve(import.meta.dirname, "../test-results/pages");
const SIZES = [
  { name: "desktop", width: 1440, height: 900 },
  { name: "phone", width: 390, height: 844 },
] as const;
const SCHEMES = ["dark", "light"] as const;

type Violation = { id: string; impact: string | null; nodes: { target: string[] }[] };

describe.skipIf(!chromiumAvailable())("every page, two sizes, two schemes", () => {
  let server: ProductionServer;
  let browser: Browser;
  let pages: { name: string; path: string }[] = [];
  const api = (method: string, route: string, body?: unknown) => callApi(server.url, TOKEN, method, route, body);

  beforeAll(async () => {
    ({ server } = await startBareFleet({
      prefix: "every-page",
      images: { "alpha.raw": Buffer.alloc(64 * 1024, 1) },
      vars: { PRECACHE_ADMIN_PASSWORD: PASSWORD, PRECACHE_API_TOKEN: TOKEN, PRECACHE_AGENT_TOKEN: "every-page-agent" },
      nodes: [
        ["hv-a1", "rack-a"],
        ["hv-b1", "rack-b"],
      ],
    }));
    const imageId = await publishFirstImage(server, TOKEN);
    const { rollout } = await api("POST", "/api/rollouts", { imageId });
    // Bare agents never answer image:delete: the cleanup's page shows a node still waiting.
    const { cleanup } = await api("POST", "/api/cleanup", { imageId, hypervisors: ["hv-a1", "hv-gone"] });
    pages = [
      { name: "images", path: "/images" },
      { name: "hypervisors", path: "/hypervisors" },
      { name: "hypervisors-table", path: "/hypervisors?view=table" },
      { name: "node", path: "/hypervisors/hv-a1" },
      { name: "rollouts", path: "/rollouts" },
      { name: "rollout", path: `/rollouts/${rollout.id}` },
      { name: "topology", path: "/topology" },
      { name: "cleanup", path: "/cleanup" },
      { name: "cleanup-detail", path: `/cleanups/${cleanup.id}` },
      { name: "agents", path: "/agents" },
      { name: "access", path: "/access" },
      { name: "audit", path: "/audit" },
      { name: "not-found", path: "/no-such-page" },
    ];
    fs.mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const size of SIZES) {
    for (const scheme of SCHEMES) {
      it(`${size.name} ${size.width}×${size.height}, ${scheme}: no overflow, no serious axe violation`, async () => {
        const context = await browser.newContext({ viewport: { width: size.width, height: size.height }, colorScheme: scheme });
        const page = await context.newPage();
        await signIn(page, server.url, PASSWORD, "/images");
        const problems: string[] = [];
        for (const target of pages) {
          await page.goto(server.url + target.path);
          await page.waitForLoadState("networkidle");
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          if (overflow > 0) problems.push(`${target.name}: ${overflow} px wider than the window`);
          await page.addScriptTag({ path: AXE });
          const violations = (await page.evaluate(async () => {
            const result = await (window as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } }).axe.run();
            return result.violations;
          })) as Violation[];
          for (const violation of violations.filter((v) => v.impact === "serious" || v.impact === "critical")) {
            problems.push(
              `${target.name}: ${violation.impact} ${violation.id} at ${violation.nodes
                .map((node) => node.target.join(" "))
                .slice(0, 3)
                .join(", ")}`,
            );
          }
          await page.screenshot({ path: path.join(SHOTS, `${size.name}-${scheme}-${target.name}.png`), fullPage: true });
        }
        await context.close();
        expect(problems).toEqual([]);
      }, 240_000);
    }
  }
});
