// The REST API (DESIGN §6). Each route parses, authorises, and calls one domain function.
import { z } from "zod";
import type { AppContext } from "../context.ts";
import { cleanupImage } from "../cleanup/cleanup-image.ts";
import { AppError } from "../errors.ts";
import { listHypervisors } from "../hypervisors/hypervisor-queries.ts";
import { getImage, listImages } from "../images/image-queries.ts";
import { syncImages } from "../images/sync-images.ts";
import { toArtifactView } from "../images/image-views.ts";
import { publishImage } from "../publish/publish-image.ts";
import { cancelRollout, getRollout, listRollouts } from "../rollouts/rollout-commands.ts";
import { createRollout } from "../rollouts/create-rollout.ts";

export type RouteResult = { status: number; body: unknown; headers?: Record<string, string | string[]> };
export type Route = {
  method: "GET" | "POST" | "DELETE";
  path: RegExp;
  /** Public routes skip the operator check (sign-in itself, health). */
  isPublic?: boolean;
  handle(context: AppContext, request: { params: string[]; body: unknown; headers: import("node:http").IncomingHttpHeaders }): Promise<RouteResult>;
};

const id = "([A-Za-z0-9][A-Za-z0-9._-]{0,127})";
const names = z.array(z.string().min(1).max(253)).min(1).max(100_000);

const publishBody = z.object({ codec: z.literal("gzip").optional(), level: z.number().int().min(1).max(9).optional() }).strict();
const rolloutBody = z.object({ imageId: z.string().min(1), hypervisors: names.optional(), jitterSeconds: z.number().min(0).max(3600).optional() }).strict();
const cleanupBody = z.object({ imageId: z.string().min(1), hypervisors: names.optional() }).strict();

export const apiRoutes: Route[] = [
  { method: "GET", path: /^\/api\/health$/, isPublic: true, handle: async () => ({ status: 200, body: { ok: true } }) },
  { method: "GET", path: /^\/api\/images$/, handle: async (context) => ({ status: 200, body: { images: await listImages(context) } }) },
  { method: "POST", path: /^\/api\/images\/sync$/, handle: async (context) => ({ status: 200, body: await syncImages(context) }) },
  {
    method: "GET",
    path: new RegExp(`^/api/images/${id}$`),
    handle: async (context, { params }) => ({ status: 200, body: { image: await getImage(context, params[0]) } }),
  },
  {
    method: "POST",
    path: new RegExp(`^/api/images/${id}/publish$`),
    handle: async (context, { params, body }) => {
      const options = publishBody.parse(body);
      const { artifact, reused } = await publishImage(context, { imageId: params[0], ...options });
      return { status: 202, body: { artifact: toArtifactView(artifact, context.publicUrl), reused } };
    },
  },
  { method: "GET", path: /^\/api\/hypervisors$/, handle: async (context) => ({ status: 200, body: { hypervisors: await listHypervisors(context) } }) },
  { method: "GET", path: /^\/api\/rollouts$/, handle: async (context) => ({ status: 200, body: { rollouts: await listRollouts(context) } }) },
  {
    method: "POST",
    path: /^\/api\/rollouts$/,
    handle: async (context, { body }) => ({ status: 201, body: { rollout: await createRollout(context, rolloutBody.parse(body)) } }),
  },
  {
    method: "GET",
    path: /^\/api\/rollouts\/([0-9a-f-]{36})$/,
    handle: async (context, { params }) => ({ status: 200, body: { rollout: await getRollout(context, params[0]) } }),
  },
  {
    method: "POST",
    path: /^\/api\/rollouts\/([0-9a-f-]{36})\/cancel$/,
    handle: async (context, { params }) => ({ status: 200, body: { rollout: await cancelRollout(context, params[0]) } }),
  },
  {
    method: "POST",
    path: /^\/api\/cleanup$/,
    handle: async (context, { body }) => ({ status: 200, body: await cleanupImage(context, cleanupBody.parse(body)) }),
  },
];

