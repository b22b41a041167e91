// image:delete: remove a base file (and any download of it) from the cache dir, unless an
// instance disk is backed by it or a process holds it open: then refuse and say who. A symlink
// at nova's name is removed itself (rm never follows it), its target left alone.
import fs from "node:fs";
import type { ImageDelete, ImageDeleteResult } from "../../protocol/events.ts";
import { AgentError } from "../agent-error.ts";
import { baseFilePath, partFilePath } from "../download/cache-paths.ts";
import { findUsers } from "../in-use.ts";
import type { AgentContext } from "./agent-context.ts";

export async function deleteImage(agent: AgentContext, command: ImageDelete): Promise<ImageDeleteResult> {
  const file = baseFilePath(agent.config.cacheDir, command.imageId);
  const stat = await fs.promises.lstat(file).catch(() => null);
  if (stat?.isFile()) {
    const users = await findUsers(agent.config.cacheDir, file);
    if (users.length > 0) {
      agent.log.warn({ imageId: command.imageId, users }, "not deleting an image still in use");
      throw new AgentError("IN_USE", `image ${command.imageId} is still in use: ${users.join("; ")}`);
    }
  }
  agent.downloads.get(command.imageId)?.controller.abort();
  await fs.promises.rm(file, { force: true });
  await fs.promises.rm(partFilePath(agent.config.cacheDir, command.imageId), { force: true });
  const freedBytes = stat?.isFile() ? stat.size : 0;
  agent.log.info({ imageId: command.imageId, freedBytes }, "image deleted");
  await agent.reportInventory();
  return { deleted: stat !== null, freedBytes };
}
