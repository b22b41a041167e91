// Debian's Chromium driven by playwright-core; never a downloaded browser.
import fs from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Under CI=true a missing Chromium is a failure, on a laptop a printed skip. */
export function chromiumAvailable(): boolean {
  const isThere = fs.existsSync(CHROMIUM_PATH);
  if (!isThere && process.env.CI) throw new Error(`${CHROMIUM_PATH} missing: CI must install Debian's chromium (.ci/run does)`);
  if (!isThere) console.warn(`skipping browser tests: ${CHROMIUM_PATH} not installed (apt-get install -y chromium)`);
  return isThere;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

/** Opens `from`, is sent to /login, signs in with the bootstrap password and lands back on `from`. */
export async function signIn(page: Page, serverUrl: string, password: string, from = "/images"): Promise<void> {
  await page.goto(serverUrl + from);
  await page.waitForURL((url) => url.pathname === "/login");
  await page.waitForLoadState("networkidle"); // hydrated: typing reaches React's state
  await page.fill("#password", password);
  await page.click("button[type=submit]");
  await page.waitForURL((url) => url.pathname + url.search === from);
}
