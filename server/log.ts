// One logger for the server (and the local agent). JSON lines for journald, Loki and friends;
// at a terminal (or PRECACHE_LOG_FORMAT=pretty) readable, coloured lines instead.
import pino, { type Logger } from "pino";
import pinoPretty from "pino-pretty";

export type LogFormat = "auto" | "json" | "pretty";

export function createLogger(level: string, format: LogFormat = logFormatFromEnv()): Logger {
  const options = { level, base: { service: "precache" } };
  if (!isPretty(format)) return pino(options);
  // Synchronous and in-process (no transport worker): lines stay in order with console output.
  const stream = pinoPretty({
    colorize: Boolean(process.stdout.isTTY),
    ignore: "pid,hostname,service",
    translateTime: "SYS:HH:MM:ss",
    sync: true,
  });
  return pino(options, stream);
}

export function isPretty(format: LogFormat = logFormatFromEnv()): boolean {
  return format === "pretty" || (format === "auto" && Boolean(process.stdout.isTTY));
}

function logFormatFromEnv(): LogFormat {
  const value = process.env.PRECACHE_LOG_FORMAT ?? "auto";
  if (value === "auto" || value === "json" || value === "pretty") return value;
  throw new Error(`invalid PRECACHE_LOG_FORMAT "${value}": must be auto, json or pretty`);
}
