// The fuzzer's figures as an operator reads them, with a command that reproduces each failure.
import type { FuzzReport } from "./run-fuzz.ts";

export function formatReport(report: FuzzReport, errorLines: string[]): string {
  const statuses = Object.entries(report.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${status}×${n}`)
    .join(" ");
  const lines = [
    `cases ${report.cases} in ${report.seconds.toFixed(1)} s (${Math.round(report.cases / report.seconds)}/s), seed ${report.seed}`,
    `statuses ${statuses}`,
    `max latency ${report.maxLatencyMs} ms; slowest /api/health ${report.slowestHealthMs} ms`,
    `server RSS ${report.rss.startMiB ?? "?"} MiB at start, ${report.rss.peakMiB ?? "?"} MiB peak, ${report.rss.endMiB ?? "?"} MiB at end`,
    `failures ${report.failures.length}; server errors logged ${errorLines.length}`,
    ...report.failures
      .slice(0, 10)
      .map((f) => `  case ${f.index} (reproduce: npm run fuzz -- --seed ${f.seed} --only ${f.index}): ${f.problem}\n    ${f.case}`),
    ...errorLines.slice(0, 5).map((line) => `  logged: ${line.slice(0, 600)}`),
  ];
  return lines.join("\n");
}
