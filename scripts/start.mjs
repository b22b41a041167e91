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
const isBuildStale = () => !fs.existsSync(buildId) || fs.statSync(buildId).mtimeMs < Math.max(...dashboardSources.map(newestMtime));

// Several servers started at once from one checkout (tests, a second instance) build once: the
// first takes the lock, the others wait for it and then find the build fresh. `next build`
// refuses to run twice at the same time.
const buildLock = path.join(root, ".next-build.lock");
function takeBuildLock() {
  for (const deadline = Date.now() + 15 * 60_000; Date.now() < deadline; ) {
    try {
      fs.mkdirSync(buildLock);
      fs.writeFileSync(path.join(buildLock, "pid"), String(process.pid));
      return;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      const owner = lockOwner();
      const isOrphan = owner ? !isRunning(owner) : Date.now() - (fs.statSync(buildLock, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 10_000;
      if (isOrphan) fs.rmSync(buildLock, { recursive: true, force: true });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  throw new Error(`another process held ${buildLock} for 15 minutes; remove it if no build is running`);
}
/** The pid in the lock, 0 while its owner is still writing it (or the lock just went). */
function lockOwner() {
  try {
    return Number(fs.readFileSync(path.join(buildLock, "pid"), "utf8")) || 0;
  } catch {
    return 0;
  }
}
function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

if (isBuildStale()) {
  takeBuildLock();
  try {
    if (isBuildStale()) {
      console.log("precache: building the dashboard (first start or changed sources)…");
      const result = spawnSync(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "build"], {
        cwd: root,
        stdio: "inherit",
        env,
      });
      if (result.status !== 0) {
        fs.rmSync(buildLock, { recursive: true, force: true });
        process.exit(result.status ?? 1);
      }
    }
  } finally {
    fs.rmSync(buildLock, { recursive: true, force: true });
  }
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
