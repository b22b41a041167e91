// Production/dev entry: Next.js pages, REST API, artifact origin and Socket.io on one port.
process.env.NEXT_TELEMETRY_DISABLED = "1";
import path from "node:path";
import next from "next";
import { startPrecache } from "./server/app.ts";
import { parseEnv } from "./server/env.ts";
import { isAppError } from "./server/errors.ts";
import { createLogger } from "./server/log.ts";

async function main(): Promise<void> {
  const isDev = process.argv.includes("--dev");
  const env = parseEnv();
  const log = createLogger(env.LOG_LEVEL);
  const pages = next({ dev: isDev, dir: path.resolve(import.meta.dirname) });
  await pages.prepare();
  const handle = pages.getRequestHandler();
  const running = await startPrecache({ env, log, pages: (req, res) => handle(req, res) });
  log.info(`dashboard: http://localhost:${(running.server.address() as { port: number }).port}`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    // Everything is in the database; a shutdown that hangs must not block a restart.
    setTimeout(() => {
      log.warn("shutdown took more than 15 s; exiting anyway");
      process.exit(0);
    }, 15_000).unref();
    await running.close();
    await pages.close?.();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}

main().catch((error) => {
  console.error(`precache: ${isAppError(error) ? `${error.code}: ` : ""}${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
