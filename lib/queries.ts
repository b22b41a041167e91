// react-query hooks, one per resource; keys like ['rollout', { rolloutId }].
"use client";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { hasRole, type Role } from "../protocol/roles";
import { sessionInfo } from "../protocol/api/access";
import { type CleanupRequest, startCleanupReply } from "../protocol/api/cleanup";
import { imageListReply, imageReply, publishReply, syncReply, type ImageListReply, type ImageView } from "../protocol/api/images";
import { type CreateRolloutRequest, createRolloutReply, rolloutListReply } from "../protocol/api/rollouts";
import { auditPage, type AuditEventView } from "../protocol/audit";
import { api } from "./api";

/** The REST shapes (DESIGN §6) are the contract's: protocol/api/. */
export type ImageRow = ImageView;

export const imagesKey = ["images"] as const;

export function useSessionQuery() {
  return useQuery({ queryKey: ["session"], queryFn: () => api("GET", "/api/session", sessionInfo) });
}

/** Whether the signed-in user may do what needs `needed`, and if not, a sentence saying why. */
export function usePermission(needed: Role): { isAllowed: boolean; reason: string | undefined } {
  const user = useSessionQuery().data?.user;
  if (!user) return { isAllowed: false, reason: "not signed in" };
  if (hasRole(user.role, needed)) return { isAllowed: true, reason: undefined };
  return { isAllowed: false, reason: `needs the ${needed} role; ${user.name} is ${user.role}` };
}

/** The cache holds GET /api/images' whole answer ({ images, source }). */
export type ImageList = ImageListReply;

const fetchImages = () => api("GET", "/api/images", imageListReply);

export function useImagesQuery() {
  return useQuery({ queryKey: imagesKey, queryFn: fetchImages, select: (list) => list.images });
}

/** The image source's last sync (same request and cache as the image list). */
export function useImageSourceQuery() {
  return useQuery({ queryKey: imagesKey, queryFn: fetchImages, select: (list) => list.source });
}

export function useRolloutsQuery() {
  return useQuery({
    queryKey: ["rollouts"],
    queryFn: async () => (await api("GET", "/api/rollouts", rolloutListReply)).rollouts,
  });
}

export function usePublishMutation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (imageId: string) => api("POST", `/api/images/${imageId}/publish`, publishReply, {}),
    onSettled: () => client.invalidateQueries({ queryKey: imagesKey }),
  });
}

export function useRolloutMutation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateRolloutRequest) => api("POST", "/api/rollouts", createRolloutReply, body),
    onSettled: () => client.invalidateQueries({ queryKey: ["rollouts"] }),
  });
}

export const cleanupKey = (cleanupId: string) => ["cleanup", { cleanupId }] as const;

/** Starts a cleanup (202 at once); its outcomes follow on the live socket (lib/live-state.ts). */
export function useCleanupMutation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: CleanupRequest) => api("POST", "/api/cleanup", startCleanupReply, body),
    onSettled: () => client.invalidateQueries({ queryKey: ["cleanups"] }),
  });
}

export function usePinMutation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ imageId, pinned }: { imageId: string; pinned: boolean }) =>
      api("POST", `/api/images/${encodeURIComponent(imageId)}/pin`, imageReply, { pinned }),
    onSettled: () => client.invalidateQueries({ queryKey: imagesKey }),
  });
}

export function useSyncMutation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api("POST", "/api/images/sync", syncReply, {}),
    onSettled: () => client.invalidateQueries({ queryKey: imagesKey }),
  });
}

/** GET /api/audit's rows. */
export type AuditEventRow = AuditEventView;
export type AuditFilters = { actor?: string; action?: string; imageId?: string; outcome?: string; from?: string; to?: string };

/** The audit trail newest first; fetchNextPage loads older events. */
export function useAuditQuery(filters: AuditFilters) {
  return useInfiniteQuery({
    queryKey: ["audit", filters],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => {
      const search = new URLSearchParams();
      for (const [name, value] of Object.entries(filters)) if (value) search.set(name, value);
      if (pageParam) search.set("before", pageParam);
      return api("GET", `/api/audit?${search}`, auditPage);
    },
    getNextPageParam: (page) => page.nextBefore,
  });
}
