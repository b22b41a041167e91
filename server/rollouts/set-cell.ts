// Writes hypervisor × image states and publishes each change (the dashboard shows it).
import type { CellState } from "../../protocol/states.ts";
import type { Db } from "../db/open-database.ts";
import type { EventPublisher } from "../events/domain-events.ts";
import { toCellView } from "../hypervisors/hypervisor-views.ts";

export type CellContext = { readonly db: Db; readonly events: EventPublisher };
type CellData = { state: CellState; bytes?: bigint; verified?: boolean; error?: string | null; fileMtime?: Date };

export async function setCell(
  context: CellContext,
  hypervisor: string,
  imageId: string,
  data: CellData,
  totalBytes: number | null,
): Promise<void> {
  const row = await context.db.hypervisorImage.upsert({
    where: { hypervisorName_imageId: { hypervisorName: hypervisor, imageId } },
    create: { hypervisorName: hypervisor, imageId, ...data },
    update: data,
  });
  context.events.publish("cellChanged", { hypervisor, cell: toCellView(row, totalBytes) });
}

/**
 * setCell for many hypervisors and one image: an UPDATE and an INSERT for the missing rows, not
 * one upsert each (10,000 of those are minutes of work when a big rollout starts or ends).
 */
export async function setCells(
  context: CellContext,
  hypervisors: string[],
  imageId: string,
  data: CellData,
  totalBytes: number | null,
): Promise<void> {
  const names = [...new Set(hypervisors)];
  if (names.length <= 1) return names.length ? setCell(context, names[0], imageId, data, totalBytes) : undefined;
  const select = { hypervisorName: true, imageId: true, state: true, bytes: true, error: true } as const;
  const updated = await context.db.hypervisorImage.updateManyAndReturn({ where: { imageId, hypervisorName: { in: names } }, data, select });
  const found = new Set(updated.map((row) => row.hypervisorName));
  const missing = names.filter((name) => !found.has(name));
  const created = missing.length
    ? await context.db.hypervisorImage
        .createManyAndReturn({ data: missing.map((name) => ({ hypervisorName: name, imageId, ...data })), skipDuplicates: true, select })
        .catch(() => []) // e.g. a hypervisor deleted meanwhile: settled one by one below
    : [];
  for (const row of [...updated, ...created])
    context.events.publish("cellChanged", { hypervisor: row.hypervisorName, cell: toCellView(row, totalBytes) });
  const written = new Set(created.map((row) => row.hypervisorName));
  // Rows that appeared between the two statements, or could not be inserted together.
  for (const name of missing) if (!written.has(name)) await setCell(context, name, imageId, data, totalBytes);
}
