// Writes one hypervisor × image state and pushes it to the dashboard.
import type { CellState } from "../../protocol/states.ts";
import type { AppContext } from "../context.ts";
import { toCellView } from "../hypervisors/hypervisor-views.ts";

export async function setCell(
  context: Pick<AppContext, "db" | "ui">,
  hypervisor: string,
  imageId: string,
  data: { state: CellState; bytes?: bigint; verified?: boolean; error?: string | null; fileMtime?: Date },
  totalBytes: number | null,
): Promise<void> {
  const row = await context.db.hypervisorImage.upsert({
    where: { hypervisorName_imageId: { hypervisorName: hypervisor, imageId } },
    create: { hypervisorName: hypervisor, imageId, ...data },
    update: data,
  });
  context.ui.cellChanged(hypervisor, toCellView(row, totalBytes));
}
