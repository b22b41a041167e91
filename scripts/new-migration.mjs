#!/usr/bin/env node
// `npm run migration -- <name>`: writes prisma/migrations/<timestamp>_<name>/migration.sql from
// the difference between the committed schema (git HEAD) and the working one. Needs no database:
// `prisma migrate dev` cannot replay multi-statement migrations into a PGlite shadow database.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const name = process.argv[2];
if (!name || !/^[a-z0-9_-]+$/.test(name)) {
  console.error("usage: npm run migration -- <name, lowercase letters, digits, - and _>");
  process.exit(64);
}
const root = path.resolve(import.meta.dirname, "..");
const before = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "precache-schema-")), "schema.prisma");
fs.writeFileSync(before, execFileSync("git", ["show", "HEAD:prisma/schema.prisma"], { cwd: root }));
const result = spawnSync(
  process.execPath,
  ["scripts/prisma.mjs", "migrate", "diff", "--from-schema-datamodel", before, "--to-schema-datamodel", "prisma/schema.prisma", "--script"],
  { cwd: root, encoding: "utf8" },
);
if (result.status !== 0) {
  console.error(result.stderr);
  process.exit(result.status ?? 1);
}
const sql = result.stdout.replace(/^.*?(?=--|CREATE|ALTER|DROP)/s, "");
if (!sql.trim() || /^-- This is an empty migration/.test(sql.trim())) {
  console.log("schema unchanged: no migration written");
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const dir = path.join(root, "prisma/migrations", `${stamp}_${name}`);
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, "migration.sql"), sql);
console.log(`wrote ${path.relative(root, dir)}/migration.sql`);
