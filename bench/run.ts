// `npm run bench` runs every benchmark but the soak; `npm run bench -- <name> [...]` runs the named ones.
// Each prints its figures and, where it has a baseline, a last line `ratio: ...`.
import { parseArgs } from "node:util";

type Benchmark = { run(args: string[]): Promise<void> };
const defaults = ["publish", "fetch", "fanout", "control", "heatmap", "model"] as const;
// Run by name only (`npm run bench -- soak`, `-- testbed`, `-- control-cluster`): minutes long (the testbed needs root,
// control-cluster 50,000 sockets), not part of the default set.
const onDemand = ["soak", "testbed", "control-cluster"] as const;
const benchmarks: Record<string, () => Promise<Benchmark>> = Object.fromEntries(
  [...defaults, ...onDemand].map((name) => [name, () => import(`./${name}.ts`) as Promise<Benchmark>]),
);

async function main(): Promise<void> {
  const { positionals } = parseArgs({ args: process.argv.slice(2), allowPositionals: true, strict: false });
  const names = positionals.filter((arg) => arg in benchmarks);
  // A word right after an option is that option's value (`--strategy waves`), not a benchmark name.
  const argv = process.argv.slice(2);
  const isValue = (arg: string) => argv.some((candidate, index) => candidate === arg && argv[index - 1]?.startsWith("--"));
  const unknown = positionals.filter((arg) => !(arg in benchmarks) && !/^\d/.test(arg) && !isValue(arg));
  if (unknown.length) throw new Error(`unknown benchmark "${unknown[0]}": one of ${Object.keys(benchmarks).join(", ")}`);
  // Everything else, options included, goes to the benchmarks (e.g. `publish 256 --rounds 5`).
  const extra = process.argv.slice(2).filter((arg) => !(arg in benchmarks));
  for (const name of names.length ? names : defaults) {
    console.log(`\n== ${name} ==`);
    const bench = await benchmarks[name]();
    await bench.run(extra);
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`bench: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
