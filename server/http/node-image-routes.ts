// One node's copy of one image: remove it from that node's cache, or fetch and verify it again there.
import { refetchNodeImageRequest } from "../../protocol/api/hypervisors.ts";
import { imageId } from "../../protocol/ids.ts";
import { refetchNodeImage } from "../hypervisors/refetch-node-image.ts";
import { removeNodeImage } from "../hypervisors/remove-node-image.ts";
import { safeDecode } from "./api-routes.ts";
import type { Route, RouteRequest } from "./route.ts";
import { hypervisorParam, pathParam } from "./route-params.ts";

// Loose segments, validated by name: a junk image id is a 422 naming it, not "no such route".
const NODE_IMAGE = "^/api/hypervisors/([^/]{1,253})/images/([^/]{1,400})";

/** The audit trail's target: the node, and the image as sent (control characters replaced). */
const auditTarget = ({ params }: RouteRequest) => safeDecode(params[0]);
const auditImage = ({ params }: RouteRequest) => safeDecode(params[1]);

export const nodeImageRoutes: Route[] = [
  {
    method: "DELETE",
    path: new RegExp(`${NODE_IMAGE}$`),
    audit: { action: "hypervisor.remove-image", target: auditTarget, imageId: auditImage },
    handle: async (context, { params }) => ({
      status: 200,
      body: await removeNodeImage(context, nodeImageParams(params)),
    }),
  },
  {
    method: "POST",
    path: new RegExp(`${NODE_IMAGE}/refetch$`),
    audit: {
      action: "hypervisor.refetch-image",
      target: auditTarget,
      imageId: auditImage,
    },
    handle: async (context, { params, body, actor }) => {
      refetchNodeImageRequest.parse(body ?? {});
      const rollout = await refetchNodeImage(context, { ...nodeImageParams(params), createdBy: actor.name });
      return { status: 201, body: { rollout } };
    },
  },
];

function nodeImageParams(params: string[]): { hypervisor: string; imageId: string } {
  return { hypervisor: hypervisorParam(params[0]), imageId: pathParam(params[1], "imageId", imageId) };
}
