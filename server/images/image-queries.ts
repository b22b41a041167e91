import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import type { ImageView } from "../../protocol/api/images.ts";
import { toImageView } from "./image-views.ts";

export async function listImages(context: Pick<AppContext, "db" | "publicUrl" | "env">): Promise<ImageView[]> {
  const images = await context.db.image.findMany({ include: { artifact: true }, orderBy: [{ status: "asc" }, { name: "asc" }] });
  return images.map((image) => toImageView(image, context.publicUrl, context.env.PRECACHE_ENCRYPT_ALL_ARTIFACTS));
}

export async function getImage(context: Pick<AppContext, "db" | "publicUrl" | "env">, imageId: string): Promise<ImageView> {
  const image = await context.db.image.findUnique({ where: { id: imageId }, include: { artifact: true } });
  if (!image) throw new AppError("IMAGE_NOT_FOUND", `no image ${imageId} (try POST /api/images/sync)`);
  return toImageView(image, context.publicUrl, context.env.PRECACHE_ENCRYPT_ALL_ARTIFACTS);
}
