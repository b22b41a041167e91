// The REST API (DESIGN §6). Each route parses, authorises, and calls one domain function.
import { getHypervisor, listHypervisors } from "../hypervisors/hypervisor-queries.ts";
import { scrapeMetrics } from "./metrics.ts";
import { getImage, listImages } from "../images/image-queries.ts";
import { sourceSyncView, syncImages } from "../images/sync-images.ts";
import type { HealthReport } from "../health/dependency-health.ts";
import { toArtifactView } from "../images/image-views.ts";
import { publishImage } from "../publish/publish-image.ts";
import { cancelRollout, getRollout, pauseRollout, resumeRollout, retryFailed } from "../rollouts/rollout-commands.ts";
import { listRolloutPage, listTargetPage } from "../rollouts/rollout-reads.ts";
import { estimateRollout, parseEstimateQuery } from "../rollouts/rollout-estimate.ts";
import { deleteGroup, getTopology, setHypervisorGroup, setImagePinned, updateTopology } from "../topology/topology.ts";
import { createRollout } from "../rollouts/create-rollout.ts";
import { setGroupRequest } from "../../protocol/api/hypervisors.ts";
import { pinRequest, publishRequest } from "../../protocol/api/images.ts";
import { createRolloutRequest } from "../../protocol/api/rollouts.ts";
import { updateTopologyRequest } from "../../protocol/api/topology.ts";
import { groupName, IMAGE_ID_PATTERN, pathSegment, ROLLOUT_ID_PATTERN } from "../../protocol/ids.ts";
import { hypervisorParam, pathParam } from "./route-params.ts";

import type { Route } from "./route.ts";

const id = pathSegment(IMAGE_ID_PATTERN);
const uuid = pathSegment(ROLLOUT_ID_PATTERN);

export const apiRoutes: Route[] = [
  // Public and cheap (no query): 503 only when the database is down, so a load balancer stops sending traffic.
  { method: "GET", path: /^\/api\/health$/, isPublic: true, handle: async (context) => healthAnswer(context.health.report()) },
  {
    method: "GET",
    path: /^\/api\/metrics$/,
    handle: async (context) => {
      const { text, contentType } = await scrapeMetrics(context);
      return { status: 200, body: null, text, headers: { "content-type": contentType } };
    },
  },
  {
    method: "GET",
    path: /^\/api\/images$/,
    handle: async (context) => ({
      status: 200,
      body: { images: await listImages(context), source: sourceSyncView(context.health, context.source.kind) },
    }),
  },
  {
    method: "POST",
    path: /^\/api\/images\/sync$/,
    audit: { action: "image.sync" },
    handle: async (context) => ({ status: 200, body: await syncImages(context) }),
  },
  {
    method: "GET",
    path: new RegExp(`^/api/images/${id}$`),
    handle: async (context, { params }) => ({ status: 200, body: { image: await getImage(context, params[0]) } }),
  },
  {
    method: "POST",
    path: new RegExp(`^/api/images/${id}/publish$`),
    audit: { action: "image.publish", target: ({ params }) => params[0], imageId: ({ params }) => params[0] },
    handle: async (context, { params, body }) => {
      const options = publishRequest.parse(body);
      const { artifact, reused } = await publishImage(context, { imageId: params[0], ...options });
      return { status: 202, body: { artifact: toArtifactView(artifact, context.publicUrl), reused } };
    },
  },
  {
    method: "GET",
    path: new RegExp(`^/api/images/${id}/estimate$`),
    handle: async (context, { params, query }) => ({
      status: 200,
      body: { estimate: await estimateRollout(context, { imageId: params[0], ...parseEstimateQuery(query) }) },
    }),
  },
  {
    method: "GET",
    path: /^\/api\/hypervisors$/,
    handle: async (context) => ({ status: 200, body: { hypervisors: await listHypervisors(context) } }),
  },
  {
    method: "GET",
    path: /^\/api\/hypervisors\/([^/]{1,253})$/,
    handle: async (context, { params }) => ({
      status: 200,
      body: { hypervisor: await getHypervisor(context, hypervisorParam(params[0])) },
    }),
  },
  {
    method: "GET",
    path: /^\/api\/rollouts$/,
    handle: async (context, { query }) => ({ status: 200, body: await listRolloutPage(context, query) }),
  },
  {
    method: "POST",
    path: /^\/api\/rollouts$/,
    audit: {
      action: "rollout.create",
      target: (_request, result) => (result?.body as { rollout?: { id?: string } } | undefined)?.rollout?.id,
      imageId: ({ body }) => bodyField(body, "imageId"),
    },
    handle: async (context, { body, actor }) => ({
      status: 201,
      body: { rollout: await createRollout(context, { ...createRolloutRequest.parse(body), createdBy: actor.name }) },
    }),
  },
  {
    method: "GET",
    path: new RegExp(`^/api/rollouts/${uuid}$`),
    handle: async (context, { params }) => ({ status: 200, body: { rollout: await getRollout(context, params[0]) } }),
  },
  {
    method: "GET",
    path: new RegExp(`^/api/rollouts/${uuid}/targets$`),
    handle: async (context, { params, query }) => ({ status: 200, body: await listTargetPage(context, params[0], query) }),
  },
  ...(
    [
      ["cancel", cancelRollout],
      ["pause", pauseRollout],
      ["resume", resumeRollout],
      ["retry", retryFailed],
    ] as const
  ).map(
    ([verb, command]): Route => ({
      method: "POST",
      path: new RegExp(`^/api/rollouts/${uuid}/${verb}$`),
      audit: { action: `rollout.${verb}`, target: ({ params }) => params[0] },
      handle: async (context, { params }) => ({ status: 200, body: { rollout: await command(context, params[0]) } }),
    }),
  ),
  {
    method: "GET",
    path: /^\/api\/topology$/,
    handle: async (context) => ({ status: 200, body: { topology: await getTopology(context) } }),
  },
  {
    method: "POST",
    path: /^\/api\/topology$/,
    role: "admin",
    audit: { action: "topology.update" },
    handle: async (context, { body }) => ({
      status: 200,
      body: { topology: await updateTopology(context, updateTopologyRequest.parse(body)) },
    }),
  },
  {
    method: "DELETE",
    path: /^\/api\/groups\/([^/]{1,400})$/,
    role: "admin",
    audit: { action: "group.delete", target: ({ params }) => safeDecode(params[0]) },
    handle: async (context, { params }) => {
      await deleteGroup(context, pathParam(params[0], "group", groupName));
      return { status: 200, body: { ok: true } };
    },
  },
  {
    method: "POST",
    path: /^\/api\/hypervisors\/([^/]{1,253})\/group$/,
    role: "admin",
    audit: { action: "hypervisor.set-group", target: ({ params }) => safeDecode(params[0]) },
    handle: async (context, { params, body }) => {
      await setHypervisorGroup(context, hypervisorParam(params[0]), setGroupRequest.parse(body).group);
      return { status: 200, body: { ok: true } };
    },
  },
  {
    method: "POST",
    path: new RegExp(`^/api/images/${id}/pin$`),
    audit: { action: "image.pin", target: ({ params }) => params[0], imageId: ({ params }) => params[0] },
    handle: async (context, { params, body }) => {
      await setImagePinned(context, params[0], pinRequest.parse(body).pinned);
      return { status: 200, body: { image: await getImage(context, params[0]) } };
    },
  },
];

function healthAnswer(report: HealthReport) {
  return { status: report.ok ? 200 : 503, body: report };
}

// What the audit trail records of a request: hostile text made storable (no NUL, control
// characters or lone surrogates, which would fail the audit write) and bounded.
export function bodyField(body: unknown, field: string): string | undefined {
  const value = (body as Record<string, unknown> | null)?.[field];
  return typeof value === "string" ? storable(value.slice(0, 256)) : undefined;
}

/** A path parameter as the audit trail records it: decoded when it can be, made storable. */
export function safeDecode(value: string): string {
  try {
    return storable(decodeURIComponent(value));
  } catch {
    return value;
  }
}

function storable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cs}]/gu, "\uFFFD");
}
