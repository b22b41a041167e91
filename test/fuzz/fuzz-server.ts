// The server under fuzz, as a process of its own (node --import tsx test/fuzz/fuzz-server.ts):
// a crash is seen as an exit, and its RSS is its own. The embedded backend (no Next): the fuzzer
// targets the API, origin and sockets; junk request lines against Next are tested separately.
// Prints "FUZZ_SERVER_URL <url>" once listening; logs (errors only) go to stdout as JSON lines.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startPrecache } from "../../server/app.ts";
import { parseEnv } from "../../server/env.ts";
import { createLogger } from "../../server/log.ts";

const dataDir = process.env.PRECACHE_DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), "precache-fuzz-"));
// A small image instead of the 32 MiB sample: fuzzed publishes must not eat the run's CPU.
const imageDir = path.join(dataDir, "images");
fs.mkdirSync(imageDir, { recursive: true });
if (fs.readdirSync(imageDir).length === 0) fs.writeFileSync(path.join(imageDir, "fuzz-image.raw"), crypto.randomBytes(256 * 1024));

const env = parseEnv({
  PORT: "0",
  HOST: "127.0.0.1",
  PRECACHE_DATA_DIR: dataDir,
  PRECACHE_LOCAL_AGENT: "0",
  LOG_LEVEL: "error",
  ...process.env,
});
const running = await startPrecache({ env, log: createLogger(env.LOG_LEVEL) });
process.stdout.write(`FUZZ_SERVER_URL ${running.url}\n`);
const stop = () => void running.close().finally(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
