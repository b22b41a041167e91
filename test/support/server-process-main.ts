// The Precache backend (API, origin, Socket.io; no Next) as a process of its own, for tests and
// benchmarks that kill, freeze and restart it: `node --import tsx test/support/server-process-main.ts`.
// Everything comes from the environment (PORT, PRECACHE_DATA_DIR, DATABASE_URL, tokens), so a
// restart with the same variables is the same server on the same port and data.
// Prints "PRECACHE_SERVER_URL <url>" once listening; logs go to stdout as pino JSON lines.
import { startPrecache } from "../../server/app.ts";
import { parseEnv } from "../../server/env.ts";
import { createLogger } from "../../server/log.ts";

const env = parseEnv({ HOST: "127.0.0.1", PRECACHE_LOCAL_AGENT: "0", LOG_LEVEL: "warn", ...process.env });
const running = await startPrecache({ env, log: createLogger(env.LOG_LEVEL) });
process.stdout.write(`PRECACHE_SERVER_URL ${running.url}\n`);
const stop = () => void running.close().finally(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
