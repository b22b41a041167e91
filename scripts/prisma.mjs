#!/usr/bin/env node
// Runs the Prisma CLI offline. The CLI reads the schema's `env("DATABASE_URL")` before it
// loads prisma.config.ts; without a value it falls back to downloading a native engine.
// With no DATABASE_URL we hand it a placeholder and tell prisma.config.ts to use PGlite.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
if (!env.DATABASE_URL) {
  env.DATABASE_URL = "postgresql://unused@localhost/unused";
  env.PRECACHE_PRISMA_PGLITE = "1";
}
const cli = createRequire(import.meta.url).resolve("prisma/build/index.js");
const result = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], { stdio: "inherit", env });
process.exit(result.status ?? 1);
