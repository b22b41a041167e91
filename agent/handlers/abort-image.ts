// image:abort: stop a download (cancelled rollout or a server-side timeout); its .part is removed.
import type { ImageAbort } from "../../protocol/events.ts";
import type { AgentContext } from "./agent-context.ts";

export function abortImage(agent: AgentContext, command: ImageAbort): { aborted: boolean } {
  const download = agent.downloads.get(command.imageId);
  if (!download) return { aborted: false };
  download.rolloutIds.delete(command.rolloutId);
  if (download.rolloutIds.size > 0) return { aborted: false };
  download.controller.abort();
  agent.log.info({ imageId: command.imageId, rolloutId: command.rolloutId }, "download aborted by the server");
  return { aborted: true };
}
