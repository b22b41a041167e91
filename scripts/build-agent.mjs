#!/usr/bin/env node
// `npm run build:agent [-- <outfile>]`: the agent as one file for hypervisors (Node 20, no node_modules):
// dist/precache-agent.mjs, run as `node precache-agent.mjs --server … --token …`.
import path from "node:path";
import { build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");
await build({
  entryPoints: [path.join(root, "agent/cli.ts")],
  outfile: path.resolve(process.argv[2] ?? path.join(root, "dist/precache-agent.mjs")),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minify: false,
  legalComments: "none",
  // Some dependencies still call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: "warning",
});
console.log(`wrote ${process.argv[2] ?? "dist/precache-agent.mjs"}`);
