// Main-thread work per frame in Chromium: rAF marks from the page, tasks from a Chromium trace,
// summed between consecutive marks (rAF intervals alone have 16.7 ms as their floor).
import type { Browser, Page } from "playwright-core";

// In-page code is plain JavaScript in strings: functions compiled by tsx carry helpers
// (\`__name\`) that do not exist in the page.

/** rAF timestamps (each also a \`bench-frame\` mark for the trace) and long tasks, for \`ms\`; scrolls the table by \`scrollPx\` a frame if shown. */
const FRAMES_SCRIPT = (ms: number, scrollPx: number) => `new Promise(function (resolve) {
  const region = document.querySelector("[aria-label='Hypervisors table']");
  const longTasks = [];
  const observer = new PerformanceObserver(function (list) {
    for (const entry of list.getEntries()) longTasks.push(entry.duration);
  });
  observer.observe({ type: "longtask" });
  const frames = [];
  const started = performance.now();
  const frame = function (at) {
    frames.push(at);
    if (region && ${scrollPx} > 0) region.scrollTop += ${scrollPx};
    performance.mark("bench-frame");
    if (at - started < ${ms}) return requestAnimationFrame(frame);
    observer.disconnect();
    resolve({ intervals: frames.slice(1).map(function (at, i) { return at - frames[i]; }), longTasks: longTasks });
  };
  requestAnimationFrame(frame);
})`;

export type FrameReport = { intervals: number[]; workPerFrame: number[]; busyPercent: number; longTasks: number[]; topTasks: string };

/** rAF intervals and long tasks from the page; per-frame main-thread work from a Chromium trace. */
export async function measureFrames(browser: Browser, page: Page, windowMs: number, scrollPx = 0): Promise<FrameReport> {
  await browser.startTracing(page, {
    categories: ["devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel", "blink.user_timing"],
  });
  const inPage = await page.evaluate<{ intervals: number[]; longTasks: number[] }>(FRAMES_SCRIPT(windowMs, scrollPx));
  const trace = JSON.parse((await browser.stopTracing()).toString("utf8")) as { traceEvents: TraceEvent[] };
  return { ...inPage, ...workPerFrame(trace.traceEvents) };
}

type TraceEvent = {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  args?: { name?: string; data?: { functionName?: string; url?: string } };
};

/** Sums the top-level tasks of the page's main thread between consecutive `bench-frame` marks. */
function workPerFrame(events: TraceEvent[]): { workPerFrame: number[]; busyPercent: number; topTasks: string } {
  const marks = events.filter((event) => event.name === "bench-frame").sort((a, b) => a.ts - b.ts);
  if (marks.length < 2) return { workPerFrame: [], busyPercent: NaN, topTasks: "no frames in the trace" };
  const { pid, tid } = marks[0];
  const tasks = events.filter(
    (event) => event.pid === pid && event.tid === tid && event.name === "RunTask" && event.ph === "X" && event.dur !== undefined,
  );
  const from = marks[0].ts;
  const to = marks.at(-1)!.ts;
  const perFrame = marks.slice(1).map(() => 0);
  let busy = 0;
  for (const task of tasks) {
    const start = Math.max(task.ts, from);
    const end = Math.min(task.ts + task.dur!, to);
    if (end <= start) continue;
    busy += end - start;
    // Split the task over the frames it overlaps (a long task stretches its frame anyway).
    for (let i = upperBound(marks, start) - 1; i < perFrame.length && marks[i].ts < end; i++) {
      perFrame[i] += Math.min(end, marks[i + 1].ts) - Math.max(start, marks[i].ts);
    }
  }
  const top = tasks
    .filter((task) => task.ts >= from && task.ts <= to)
    .sort((a, b) => b.dur! - a.dur!)
    .slice(0, 3)
    .map((task) => `${(task.dur! / 1000).toFixed(1)} ms (${describeTask(events, task)})`);
  return { workPerFrame: perFrame.map((us) => us / 1000), busyPercent: (100 * busy) / (to - from), topTasks: top.join(", ") || "none" };
}

function upperBound(marks: TraceEvent[], ts: number): number {
  let low = 0;
  let high = marks.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (marks[middle].ts <= ts) low = middle + 1;
    else high = middle;
  }
  return Math.max(1, low);
}

/** The biggest named event inside a task: what the task mostly was. */
function describeTask(events: TraceEvent[], task: TraceEvent): string {
  const isWrapper = (name: string) => /RunTask|mojo|ThreadController|Scheduler|Task$/i.test(name);
  const inside = events.filter(
    (event) =>
      event.pid === task.pid &&
      event.tid === task.tid &&
      event.ph === "X" &&
      !isWrapper(event.name) &&
      event.ts >= task.ts &&
      event.ts < task.ts + task.dur!,
  );
  const counts = new Map<string, number>();
  for (const event of inside) {
    const label =
      event.name === "FunctionCall" && event.args?.data?.functionName ? `${event.name} ${event.args.data.functionName}` : event.name;
    counts.set(label, Math.max(counts.get(label) ?? 0, event.dur ?? 0));
  }
  return (
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([label, us]) => `${label} ${(us / 1000).toFixed(1)}`)
      .join("; ") || "?"
  );
}
