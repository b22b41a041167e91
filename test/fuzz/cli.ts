// `npm run fuzz -- [--cases N] [--seed S] [--only I] [--concurrency C] [--url URL --api-token T --agent-token A]`
// Without --url it starts its own server process (test/fuzz/fuzz-server.ts) and reports its RSS.
// Prints the figures; exits 1 with the seed and the failing cases when anything failed.
import { startFuzzServer } from "./fuzz-process.ts";
import { formatReport } from "./format-report.ts";
import { runFuzz, type FuzzReport } from "./run-fuzz.ts";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 1) {
  const flag = process.argv[i];
  if (!flag.startsWith("--")) continue;
  args.set(flag.slice(2), process.argv[i + 1] ?? "");
  i += 1;
}
const number = (name: string, fallback: number) => {
  const value = args.has(name) ? Number(args.get(name)) : fallback;
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number, got "${args.get(name)}"`);
  return value;
};

const seed = number("seed", Math.floor(Math.random() * 2 ** 31));
const cases = number("cases", 10_000);
const only = args.has("only") ? number("only", 0) : undefined;
const apiToken = args.get("api-token") ?? "fuzz-api-token";
const agentToken = args.get("agent-token") ?? "fuzz-agent-token";

const server = args.has("url") ? null : await startFuzzServer({ PRECACHE_API_TOKEN: apiToken, PRECACHE_AGENT_TOKEN: agentToken });
const url = args.get("url") ?? server!.url;
console.log(`fuzzing ${url}: ${only === undefined ? `${cases} cases` : `case ${only}`}, seed ${seed}`);
let report: FuzzReport;
try {
  report = await runFuzz({
    url,
    seed,
    cases,
    only,
    apiToken,
    agentToken,
    concurrency: number("concurrency", 12),
    rssMiB: server ? () => server.rssMiB() : undefined,
    isServerAlive: server ? () => server.process.exitCode === null && server.process.signalCode === null : undefined,
  });
} finally {
  await server?.stop();
}
console.log(formatReport(report, server?.errorLines ?? []));
process.exit(report.failures.length === 0 && (server?.errorLines.length ?? 0) === 0 ? 0 : 1);
