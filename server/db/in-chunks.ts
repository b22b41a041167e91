// Postgres takes at most 32,767 bind parameters per statement, and Prisma (with a driver
// adapter) does not split an `in: [...]` list or a createMany for us: at 50,000 hypervisors a
// rollout to all of them failed. Lists that grow with the fleet go through these.

/** Items per statement: a few parameters each stays well under the limit. */
export const PER_STATEMENT = 5000;

export function chunksOf<T>(items: readonly T[], size = PER_STATEMENT): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/** Runs a read per chunk of `items` (one after another) and concatenates the rows. */
export async function findInChunks<T, R>(items: readonly T[], read: (chunk: T[]) => Promise<R[]>, size = PER_STATEMENT): Promise<R[]> {
  const rows: R[] = [];
  for (const chunk of chunksOf(items, size)) rows.push(...(await read(chunk)));
  return rows;
}
