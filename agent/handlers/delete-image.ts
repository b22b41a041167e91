// image:delete: remove a base file (and any download of it) from the cache dir.
import fs from "node:fs";
import type { ImageDelete, ImageDeleteResult } from "../../protocol/events.ts";
import { baseFilePath, partFilePath } from "../download/cache-paths.ts";
import type { AgentContext } from "./agent-context.ts";

export async function deleteImage(agent: AgentContext, command: ImageDelete): Promise<ImageDeleteResult> {
  agent.downloads.get(command.imageId)?.controller.abort();
  const file = baseFilePath(agent.config.cacheDir, command.imageId);
  const stat = await fs.promises.stat(file).catch(() => null);
  await fs.promises.rm(file, { force: true });
  await fs.promises.rm(partFilePath(agent.config.cacheDir, command.imageId), { force: true });
  agent.log.info({ imageId: command.imageId, freedBytes: stat?.size ?? 0 }, "image deleted");
  await agent.reportInventory();
  return { deleted: stat !== null, freedBytes: stat?.size ?? 0 };
}
