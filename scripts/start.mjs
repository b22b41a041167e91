#!/usr/bin/env node
// `npm start`: generate the Prisma client and build the dashboard when missing or out of date,
// then run the production server. Nothing here reaches the network.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

// Everything the dashboard bundle is built from: a change in any of these makes the build stale.
// The browser imports only from these directories (the contract is protocol/), never from server/.
const dashboardSources = ["app", "components", "lib", "protocol", "next.config.ts", "package-lock.json"];

function newestMtime(entryPath) {
  const absolute = path.join(root, entryPath);
  if (!fs.existsSync(absolute)) return 0;
  const stat = fs.statSync(absolute);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(absolute, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return newest;
}

if (!fs.existsSync(path.join(root, "server/db/generated/client.ts"))) run(process.execPath, ["scripts/prisma.mjs", "generate"]);

const buildId = path.join(root, ".next/BUILD_ID");
const sources = Math.max(...dashboardSources.map(newestMtime));
if (!fs.existsSync(buildId) || fs.statSync(buildId).mtimeMs < sources) {
  console.log("precache: building the dashboard (first start or changed sources)…");
  run(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "build"]);
}

// V8 grows the old space towards its default limit (a quarter of RAM, up to 4 GiB) before it
// collects hard, so garbage from 10,000 agents' progress messages shows up as RSS (1.1 GiB
// measured). With a limit it collects sooner: 553 MiB RSS at 10,000 agents with a 320 MiB limit,
// so the server's live heap there is well under 320 MiB. The default leaves room for about
// 25,000 agents; PRECACHE_MAX_HEAP_MIB raises it (0: Node's own default). Passed in
// NODE_OPTIONS because tsx runs server.ts in a child process of its own.
const heapMiB = Number(process.env.PRECACHE_MAX_HEAP_MIB ?? 768);
const serverEnv = heapMiB > 0 ? { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ""} --max-old-space-size=${heapMiB}`.trim() } : env;
const tsx = path.join(root, "node_modules/tsx/dist/cli.mjs");
const server = spawn(process.execPath, [tsx, "server.ts"], { cwd: root, stdio: "inherit", env: serverEnv });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.kill(signal));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
