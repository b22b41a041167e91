// A cleanup's live news merged into the detail the page holds, so outcomes show as they arrive
// without a read per node. Idempotent: a node's outcome only ever leaves "pending" once, and a
// delta about a row the detail already shows changes nothing.
import type { CleanupDetail } from "../protocol/api/cleanup";
import type { CleanupDelta } from "../protocol/ui";

export function mergeCleanupDelta(detail: CleanupDetail, delta: CleanupDelta): CleanupDetail {
  if (detail.id !== delta.id) return detail;
  const next: CleanupDetail = { ...detail, state: delta.state, artifact: delta.artifact ?? detail.artifact };
  // Beyond the inline list the page cannot tell a new outcome from one its last read counted.
  if (!detail.hypervisorsInline || delta.nodes.length === 0) return next;
  const rows = new Map(detail.hypervisors.map((row) => [row.name, row]));
  const counts = { ...detail.counts };
  let freedBytes = detail.freedBytes;
  for (const node of delta.nodes) {
    const current = rows.get(node.name);
    if (!current || current.outcome === node.outcome) continue;
    counts[current.outcome] -= 1;
    counts[node.outcome] += 1;
    freedBytes += node.freedBytes - current.freedBytes;
    rows.set(node.name, node);
  }
  return { ...next, counts, freedBytes, hypervisors: [...rows.values()] };
}
