// GET /api/hypervisors, GET /api/hypervisors/{name}, POST /api/hypervisors/{name}/group,
// DELETE /api/hypervisors/{name}/images/{imageId}, POST /api/hypervisors/{name}/images/{imageId}/refetch.
import { z } from "zod";
import { groupName } from "../ids.ts";
import { CellState } from "../states.ts";
import { createdRollout } from "./rollouts.ts";

export const hypervisorDetail = z.object({
  name: z.string(),
  online: z.boolean(),
  version: z.string().nullable(),
  cacheDir: z.string().nullable(),
  proxies: z.array(z.string()),
  group: z.string().nullable(),
  lastSeenAt: z.string(),
  freeBytes: z.number().nullable(),
  images: z.array(
    z.object({
      imageId: z.string(),
      state: z.enum(CellState),
      bytes: z.number(),
      verified: z.boolean(),
      error: z.string().nullable(),
      lastUsedAt: z.string().nullable(),
    }),
  ),
});
export type HypervisorDetail = z.infer<typeof hypervisorDetail>;

export const hypervisorListReply = z.object({ hypervisors: z.array(hypervisorDetail) });
export const hypervisorReply = z.object({ hypervisor: hypervisorDetail });

export const setGroupRequest = z.object({ group: groupName.nullable() }).strict();
export type SetGroupRequest = z.infer<typeof setGroupRequest>;
export const setGroupReply = z.object({ ok: z.literal(true) });

/** DELETE /api/hypervisors/{name}/images/{imageId}: the agent deleted its cached copy (`deleted`: there was one). */
export const removeNodeImageReply = z.object({
  hypervisor: z.string(),
  imageId: z.string(),
  deleted: z.boolean(),
  freedBytes: z.number(),
});
export type RemoveNodeImageReply = z.infer<typeof removeNodeImageReply>;

/** POST /api/hypervisors/{name}/images/{imageId}/refetch: a one-node rollout that downloads and verifies it again. */
export const refetchNodeImageRequest = z.object({}).strict();
export const refetchNodeImageReply = z.object({ rollout: createdRollout });
export type RefetchNodeImageReply = z.infer<typeof refetchNodeImageReply>;
