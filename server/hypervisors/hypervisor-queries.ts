import type { UiSnapshot } from "../../protocol/events.ts";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import { toCellView, toHypervisorApiView, toHypervisorHeader, type HypervisorApiView } from "./hypervisor-views.ts";

export async function listHypervisors(context: Pick<AppContext, "db">): Promise<HypervisorApiView[]> {
  const rows = await context.db.hypervisor.findMany({ include: { images: true }, orderBy: { name: "asc" } });
  return rows.map(toHypervisorApiView);
}

export async function getHypervisor(context: Pick<AppContext, "db">, name: string): Promise<HypervisorApiView> {
  const row = await context.db.hypervisor.findUnique({ where: { name }, include: { images: true } });
  if (!row) throw new AppError("NOT_FOUND", `no hypervisor ${name}`);
  return toHypervisorApiView(row);
}

export async function uiSnapshot(context: Pick<AppContext, "db">): Promise<UiSnapshot> {
  const [rows, sizes] = await Promise.all([
    context.db.hypervisor.findMany({ include: { images: true }, orderBy: { name: "asc" } }),
    imageSizes(context),
  ]);
  return {
    hypervisors: rows.map((row) => ({
      ...toHypervisorHeader(row),
      cells: row.images.map((image) => toCellView(image, sizes.get(image.imageId) ?? null)),
    })),
  };
}

export async function imageSizes(context: Pick<AppContext, "db">): Promise<Map<string, number | null>> {
  const images = await context.db.image.findMany({ select: { id: true, size: true } });
  return new Map(images.map((image) => [image.id, image.size === null ? null : Number(image.size)]));
}
