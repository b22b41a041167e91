// Which errors mean "the database cannot be reached right now" (an outage, not a bug), so the API
// answers 503 DATABASE_UNAVAILABLE and the server keeps running until it comes back.
import { AppError, isAppError } from "../errors.ts";

// Prisma: can't reach server, timeout, closed connection, pool timeout.
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
// Postgres SQLSTATE class 08 (connection exception) plus shutdown, cannot-connect-now, too many connections.
const SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);
const ERRNOS = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EPIPE", "EAI_AGAIN"]);
// Driver adapter error kinds (Prisma's DriverAdapterError cause).
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
const MESSAGES = [
  /connection terminated/i,
  /not currently accepting connections/i,
  /timeout exceeded when trying to connect/i,
  /can't reach database server/i,
  /pglite is closed/i,
  /server closed the connection unexpectedly/i,
];

type Link = { code?: unknown; kind?: unknown; originalCode?: unknown; message?: unknown; meta?: unknown; cause?: unknown };

/** DATABASE_UNAVAILABLE for a connection-level failure, anywhere in the cause chain; null otherwise. */
export function toDatabaseUnavailable(error: unknown): AppError | null {
  if (isAppError(error)) return error.code === "DATABASE_UNAVAILABLE" ? error : null;
  const chain = causeChain(error);
  if (!chain.some(isConnectionFailure)) return null;
  return new AppError("DATABASE_UNAVAILABLE", `the database is unreachable: ${reason(chain)}`, { cause: error });
}

function isConnectionFailure(link: Link): boolean {
  const codes = [link.code, link.originalCode, (link.meta as Link | undefined)?.code].filter(
    (code) => typeof code === "string",
  ) as string[];
  if (codes.some((code) => PRISMA_CODES.has(code) || SQLSTATES.has(code) || ERRNOS.has(code) || code.startsWith("08"))) return true;
  if (typeof link.kind === "string" && ADAPTER_KINDS.has(link.kind)) return true;
  const message = typeof link.message === "string" ? link.message : "";
  return MESSAGES.some((pattern) => pattern.test(message));
}

// Error, error.cause, its cause...: Prisma wraps the driver's error, which wraps the socket's.
function causeChain(error: unknown): Link[] {
  const chain: Link[] = [];
  let link: unknown = error;
  while (link && typeof link === "object" && chain.length < 8 && !chain.includes(link as Link)) {
    chain.push(link as Link);
    const meta = (link as Link).meta;
    if (meta && typeof meta === "object") chain.push(meta as Link);
    link = (link as Link).cause;
  }
  return chain;
}

// The innermost message is the driver's own words; Prisma's outer ones are multi-line invocation dumps.
function reason(chain: Link[]): string {
  for (const link of [...chain].reverse()) {
    const text = typeof link.message === "string" ? link.message.trim().split("\n").filter(Boolean).pop() : undefined;
    if (text) return text.slice(0, 300);
  }
  return "connection failed";
}
