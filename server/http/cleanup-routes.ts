// Cleanup: stale images, POST /api/cleanup (202 at once; outcomes follow live and in the
// history), and the history itself.
import { cleanupRequest } from "../../protocol/api/cleanup.ts";
import { CLEANUP_ID_PATTERN, pathSegment } from "../../protocol/ids.ts";
import { getCleanup, listCleanupNodePage, listCleanupPage } from "../cleanup/cleanup-reads.ts";
import { findStaleImages } from "../cleanup/find-stale-images.ts";
import { startCleanup } from "../cleanup/start-cleanup.ts";
import { bodyField } from "./api-routes.ts";
import type { Route } from "./route.ts";

const cleanupId = pathSegment(CLEANUP_ID_PATTERN);

export const cleanupRoutes: Route[] = [
  {
    method: "GET",
    path: /^\/api\/cleanup\/stale$/,
    handle: async (context) => ({
      status: 200,
      body: await findStaleImages(context, { retentionDays: context.env.PRECACHE_RETENTION_DAYS }),
    }),
  },
  {
    method: "POST",
    path: /^\/api\/cleanup$/,
    audit: { action: "image.cleanup", target: ({ body }) => bodyField(body, "imageId"), imageId: ({ body }) => bodyField(body, "imageId") },
    handle: async (context, { body, actor }) => ({
      status: 202,
      body: { cleanup: await startCleanup(context, { ...cleanupRequest.parse(body), createdBy: actor.name }) },
    }),
  },
  {
    method: "GET",
    path: /^\/api\/cleanups$/,
    handle: async (context, { query }) => ({ status: 200, body: await listCleanupPage(context, query) }),
  },
  {
    method: "GET",
    path: new RegExp(`^/api/cleanups/${cleanupId}$`),
    handle: async (context, { params }) => ({ status: 200, body: { cleanup: await getCleanup(context, params[0]) } }),
  },
  {
    method: "GET",
    path: new RegExp(`^/api/cleanups/${cleanupId}/nodes$`),
    handle: async (context, { params, query }) => ({ status: 200, body: await listCleanupNodePage(context, params[0], query) }),
  },
];
