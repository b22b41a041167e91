// Retry delays that grow with each failure in a row, capped, with ±25 % jitter so a fleet that
// failed together (server restart, database outage) does not come back in one wave.

export type Backoff = { firstMs: number; maxMs: number /** Doublings stop after this many failures. */; maxDoublings: number };

/** Refused by the server (connection or hello): 5 s, 10 s, … up to 5 min. */
export const REFUSED_BACKOFF = { maxMs: 300_000, maxDoublings: 10 } as const;
/** Inventory not recorded: 5 s, 10 s, … up to 1 min. */
export const INVENTORY_BACKOFF = { maxMs: 60_000, maxDoublings: 6 } as const;

/** The delay before retry number `failures + 1`; `random` in [0, 1). */
export function backoffDelay(backoff: Backoff, failures: number, random: number = Math.random()): number {
  const base = Math.min(backoff.maxMs, backoff.firstMs * 2 ** Math.min(failures, backoff.maxDoublings));
  return base * (0.75 + random * 0.5);
}

/** After the server closed our session on purpose (socket.io then does not retry by itself): 2–5 s. */
export function serverDisconnectDelay(random: number = Math.random()): number {
  return 2000 + random * 3000;
}
