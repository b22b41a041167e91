// The heatmap at 10,000 cells in headless Chromium while a rollout runs: 10,000 simulated agents
// (real Socket.io, no bytes moved) report progress in two waves a second, so the dashboard gets
// ~2 deltas a second touching thousands of cells. Measures first paint and per-frame work.
// `npm run bench -- heatmap [cells] [--table]` (10,000 by default; --table: the table view too, first
// paint and frames while it scrolls; PRECACHE_BENCH_DATABASE=postgres for Postgres). As many agents
// stay connected as `ulimit -n` allows (each is a socket here and in the server); the rest of the
// cells are hypervisors written to the database before the server starts (offline).
import type { Browser, BrowserContext, Page } from "playwright-core";
import { GAP, LABEL_HEIGHT } from "../components/heatmap-layout.ts";
import { launchChromium } from "../test/support/chromium.ts";
import { machine, openFileLimit, percentile, sleep } from "./bench-support.ts";
import { TOKENS, publishSample, startBenchServer } from "./bench-server.ts";
import { measureFrames, type FrameReport } from "./frame-trace.ts";
import type { Database } from "../server/db/open-database.ts";
import { agentGroup, agentName, startSimulatedFleet, type SimulatedFleet } from "./simulated-fleet.ts";
import { startUiListener, type UiListener } from "./ui-listener.ts";

const PROGRESS_SECONDS = 90;
const FRAME_WINDOW_MS = 10_000;
const STATES = ["absent", "pending", "downloading", "cached", "failed"];
/** How far the table is scrolled each frame while its frames are measured (about two screens a second). */
const TABLE_SCROLL_PX = 20;
/** Open files kept for everything but agent sockets: Chromium's pipes, the UI listener, the database. */
const OPEN_FILES_HEADROOM = 1500;

export async function run(args: string[]): Promise<void> {
  const cells = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 10_000);
  const withTable = args.includes("--table");
  // The issue's targets: 1 s up to 10,000 cells, 1.5 s for the largest clouds.
  const firstPaintTarget = cells > 10_000 ? 1500 : 1000;
  console.log(`machine: ${machine()}`);
  console.log(`heatmap ${cells}: downloads simulated: no bytes moved; progress in two waves a second`);
  // Every connected agent is a socket here and in the server, so the open-file limit bounds how
  // many stay connected; the rest say hello in rounds and leave (offline cells: same drawing cost).
  const connected = Math.min(cells, openFileLimit() - OPEN_FILES_HEADROOM);
  // PGlite (the default database) unless PRECACHE_BENCH_DATABASE=postgres. Past ~25,000 agents
  // the server's default heap cap (768 MiB) is too small (see PRECACHE_MAX_HEAP_MIB).
  const isPostgres = process.env.PRECACHE_BENCH_DATABASE === "postgres";
  const heapMiB = cells > 20_000 ? String(Math.ceil(cells / 10_000) * 400) : undefined;
  const server = await startBenchServer({
    isPostgres,
    vars: heapMiB ? { PRECACHE_MAX_HEAP_MIB: heapMiB } : {},
    seed: connected < cells ? (database) => seedOffline(database, connected, cells - connected) : undefined,
  });
  let fleet: SimulatedFleet | null = null;
  let ui: UiListener | null = null;
  let browser: Browser | null = null;
  try {
    if (connected < cells)
      console.log(
        `  open files: ${openFileLimit()} per process (ulimit -n), so ${connected} agents connect; ${cells - connected} more hypervisors are in the database, offline`,
      );
    fleet = await startSimulatedFleet({
      url: server.url,
      count: connected,
      batch: 500,
      progressTicks: PROGRESS_SECONDS,
      slotOf: (index) => (index % 2) * 5, // half the fleet on each half-second
      bytesAt: (_agent, tick, command) => Math.floor(((command.imageSize ?? 0) * tick) / (PROGRESS_SECONDS + 1)),
    });
    console.log(
      `  ${fleet.connected}/${connected} agents said hello in ${fleet.connectSeconds.toFixed(1)} s (${isPostgres ? "Postgres" : "PGlite"}${heapMiB ? `, server heap cap ${heapMiB} MiB` : ""})`,
    );
    if (fleet.failures.length) console.log(`  ${fleet.failures.length} agents failed to connect, first: ${fleet.failures[0]}`);
    const image = await publishSample(server);
    ui = await startUiListener(server.url, null);
    browser = await launchChromium();
    const context = await signedIn(browser, server.url, cells);
    const heatmapUrl = `${server.url}/hypervisors?image=${image.id}`;
    const idle = await measureFirstPaint(await context.newPage(), heatmapUrl);

    // To the connected agents by name (the offline rest would only wait as pending). Not "all":
    // past ~32,000 hypervisors that rollout's IN (…) lists exceed the database's parameter limit.
    const targets = connected < cells ? { hypervisors: Array.from({ length: connected }, (_, i) => agentName(i)) } : {};
    await server.api("POST", "/api/rollouts", { imageId: image.id, strategy: "jitter", ...targets });
    // On a busy 2-core machine 18,500 commands can take minutes: measure with what is under way by then.
    const commanded = await until(() => fleet!.counters.commands >= connected, 300_000).catch(() => 300);
    console.log(`  rollout (jitter): ${fleet.counters.commands} of ${connected} agents downloading after ${commanded.toFixed(1)} s`);
    await sleep(2000); // progress under way everywhere
    const page = await context.newPage();
    const firstPaint = await measureFirstPaint(page, heatmapUrl);
    const frames = await framesUnderLoad(browser, page, ui, fleet, 0);
    await page.close();

    console.log(
      `  first paint = navigation start → counts sum to ${cells} and the canvas shows cells (then: HTML received, DOMContentLoaded, page rendered, snapshot counted):`,
    );
    console.log(`    fleet connected, no rollout:  ${describeFirstPaint(idle)}`);
    console.log(`    during the rollout:           ${describeFirstPaint(firstPaint)}`);
    printFrames(frames);
    const work = percentile(frames.workPerFrame, 0.95);
    console.log(`  target: main-thread work per frame p95 ≤ 16 ms → ${work <= 16 ? "met" : "MISSED"} (${fmt(work)})`);
    for (const [label, paint] of [
      ["no rollout", idle],
      ["during the rollout", firstPaint],
    ] as const) {
      const verdict = paint.total <= firstPaintTarget ? "met" : "MISSED";
      console.log(`  target: first paint ≤ ${firstPaintTarget / 1000} s, ${label} → ${verdict} (${paint.total.toFixed(0)} ms)`);
    }
    let table = "";
    if (withTable) {
      const tablePage = await context.newPage();
      const tablePaint = await measureFirstPaint(tablePage, `${heatmapUrl}&view=table`);
      const tableFrames = await framesUnderLoad(browser, tablePage, ui, fleet, TABLE_SCROLL_PX);
      console.log(`  table view (view=table), during the rollout, scrolled ${TABLE_SCROLL_PX} px a frame:`);
      console.log(`    first paint (counts sum to ${cells} and a row is shown): ${describeFirstPaint(tablePaint)}`);
      printFrames(tableFrames);
      const rows = await tablePage.locator("[data-testid=heatmap-table] tbody tr[data-row]").count();
      console.log(`    rows in the DOM at the end: ${rows} of ${cells}`);
      table = `; table: first paint ${tablePaint.total.toFixed(0)} ms, work per frame p95 ${fmt(percentile(tableFrames.workPerFrame, 0.95))} while scrolling`;
    }
    console.log(
      `heatmap ${cells}: first paint ${idle.total.toFixed(0)} ms idle / ${firstPaint.total.toFixed(0)} ms under load, work per frame p95 ${fmt(work)}, rAF p95 ${fmt(percentile(frames.intervals, 0.95))}, long tasks ${frames.longTasks.length}${table}`,
    );
  } catch (error) {
    console.log(`  server log (tail):\n${server.output().slice(-3000)}`);
    throw error;
  } finally {
    await browser?.close();
    await fleet?.stop();
    await ui?.stop();
    await server.stop();
  }
}

/** Hypervisors `first …` as agents that came and left: named and grouped as the simulated fleet's, offline. */
async function seedOffline(database: Database, first: number, count: number): Promise<void> {
  for (let done = 0; done < count; done += 5000) {
    const names = Array.from({ length: Math.min(5000, count - done) }, (_, i) => first + done + i);
    await database.prisma.hypervisor.createMany({
      data: names.map((index) => ({ name: agentName(index), group: agentGroup(index), proxies: [] })),
    });
  }
}

type LoadFrames = FrameReport & { deltas: number; cellsPerDelta: number; isProgressing: boolean };

/** Frames over FRAME_WINDOW_MS while deltas arrive, with how many came and how large they were. */
async function framesUnderLoad(browser: Browser, page: Page, ui: UiListener, fleet: SimulatedFleet, scrollPx: number): Promise<LoadFrames> {
  const before = await ui.report();
  const frames = await measureFrames(browser, page, FRAME_WINDOW_MS, scrollPx);
  const after = await ui.report();
  const deltas = after.deltas - before.deltas;
  const cellsPerDelta = Math.round((after.cells - before.cells) / Math.max(1, deltas));
  return { ...frames, deltas, cellsPerDelta, isProgressing: fleet.counters.finished < fleet.connected };
}

function printFrames(frames: LoadFrames): void {
  const { intervals, workPerFrame: work, longTasks } = frames;
  console.log(
    `  during the ${FRAME_WINDOW_MS / 1000} s window: ${frames.deltas} deltas (${((frames.deltas * 1000) / FRAME_WINDOW_MS).toFixed(1)}/s), ` +
      `${frames.cellsPerDelta} cells each; agents still reporting: ${frames.isProgressing ? "yes" : "NO"}`,
  );
  console.log(
    `  rAF interval: p50 ${fmt(percentile(intervals, 0.5))}, p95 ${fmt(percentile(intervals, 0.95))}, max ${fmt(percentile(intervals, 1))} ` +
      `(${intervals.length} frames; 16.7 ms at 60 Hz is the floor, so this shows dropped frames, not work)`,
  );
  console.log(
    `  main-thread work per frame: p50 ${fmt(percentile(work, 0.5))}, p95 ${fmt(percentile(work, 0.95))}, max ${fmt(percentile(work, 1))} ` +
      `(Chromium trace: renderer main-thread tasks between consecutive frames; main thread busy ${frames.busyPercent.toFixed(0)} %)`,
  );
  console.log(`  longest main-thread tasks: ${frames.topTasks}`);
  console.log(
    `  long tasks (≥ 50 ms, PerformanceObserver): ${longTasks.length}, total ${longTasks.reduce((a, b) => a + b, 0).toFixed(0)} ms, max ${fmt(Math.max(0, ...longTasks))}`,
  );
}

/** A signed-in browser context whose pages all time their first paint (see FIRST_PAINT_SCRIPT). */
async function signedIn(browser: Browser, url: string, cells: number): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await context.addInitScript({ content: FIRST_PAINT_SCRIPT(cells, GAP + 2, LABEL_HEIGHT + 2) });
  const page = await context.newPage();
  await page.goto(`${url}/login`);
  await page.fill("#password", TOKENS.PRECACHE_ADMIN_PASSWORD);
  await page.click("button[type=submit]");
  await page.waitForURL("**/images");
  await page.close();
  return context;
}

// In-page code is plain JavaScript in strings: functions compiled by tsx carry helpers
// (\`__name\`) that do not exist in the page.

/** Installed before the page's own scripts: records the first frame where the counts cover every cell and the first cell (or table row) is drawn. */
const FIRST_PAINT_SCRIPT = (cells: number, x: number, y: number) => `
  const counted = function () {
    return ${JSON.stringify(STATES)}.reduce(function (sum, state) {
      return sum + Number(document.querySelector("[data-testid=count-" + state + "]")?.textContent ?? NaN);
    }, 0);
  };
  const isDrawn = function () {
    if (counted() !== ${cells}) return false;
    if (location.search.includes("view=table")) return document.querySelector("[data-testid=heatmap-table] tbody tr[data-row]") !== null;
    const canvas = document.querySelector("[data-testid=heatmap]");
    if (!canvas) return false;
    const ratio = window.devicePixelRatio || 1;
    return canvas.getContext("2d").getImageData(Math.floor(${x} * ratio), Math.floor(${y} * ratio), 1, 1).data[3] > 0;
  };
  const check = function () {
    const counts = document.querySelector("[data-testid=counts]");
    if (counts && window.benchCountsAt === undefined) window.benchCountsAt = performance.now();
    if (counts && window.benchSnapshotAt === undefined && counted() > 0) window.benchSnapshotAt = performance.now();
    if (location.pathname.startsWith("/hypervisors") && isDrawn()) window.benchFirstPaint = performance.now();
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
`;

/** ms from navigation start until the counts cover every cell and the first cell has been drawn. */
async function measureFirstPaint(page: Page, url: string): Promise<FirstPaint> {
  await page.goto(url);
  await page
    .waitForFunction("window.benchFirstPaint !== undefined", null, { timeout: 60_000, polling: 100 })
    .catch(async (error: Error) => {
      const counts = await page.evaluate(
        `${JSON.stringify(STATES)}.map((state) => document.querySelector("[data-testid=count-" + state + "]")?.textContent ?? "?").join("/")`,
      );
      throw new Error(`${error.message} (page at ${page.url()}: counts ${counts})`);
    });
  return page.evaluate<FirstPaint>(`(function () {
    const navigation = performance.getEntriesByType("navigation")[0];
    return { total: window.benchFirstPaint, html: navigation.responseEnd, scripts: navigation.domContentLoadedEventEnd, page: window.benchCountsAt, snapshot: window.benchSnapshotAt };
  })()`);
}

/** ms after navigation start: HTML received, scripts run, page rendered, snapshot shown, first paint. */
type FirstPaint = { total: number; html: number; scripts: number; page: number; snapshot: number };

function describeFirstPaint(paint: FirstPaint): string {
  return `${paint.total.toFixed(0)} ms (${[paint.html, paint.scripts, paint.page, paint.snapshot].map((ms) => ms.toFixed(0)).join(" / ")} ms)`;
}

async function until(check: () => boolean, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > timeoutMs) throw new Error(`gave up after ${timeoutMs / 1000} s`);
    await sleep(100);
  }
  return (performance.now() - started) / 1000;
}

function fmt(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}
