// react-query hooks, one per resource; keys like ['rollout', { rolloutId }].
"use client";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { hasRole, type Role } from "../protocol/roles";
import type { AuditEventView, AuditPage } from "../protocol/audit";
import type { ImageView } from "../server/images/image-views";
import type { SourceSyncView } from "../server/images/sync-images";
import { api } from "./api";

/** The REST shape (DESIGN §6), typed once on the server side. */
export type ImageRow = ImageView;
export type RolloutSummary = { id: string; imageId: string; state: string; createdAt: string; counts: Record<string, number> };

export const imagesKey = ["images"] as const;

export type SessionInfo = { authenticated: boolean; user?: { name: string; role: Role; via?: string } };

export function useSessionQuery() {
  return useQuery({ queryKey: ["session"], queryFn: () => api<SessionInfo>("GET", "/api/session") });
}

/** Whether the signed-in user may do what needs `needed`, and if not, a sentence saying why. */
export function usePermission(needed: Role): { isAllowed: boolean; reason: string | undefined } {
  const user = useSessionQuery().data?.user;
  if (!user) return { isAllowed: false, reason: "not signed in" };
  if (hasRole(user.role, needed)) return { isAllowed: true, reason: undefined };
  return { isAllowed: false, reason: `needs the ${needed} role; ${user.name} is ${user.role}` };
}

export type ImageList = { images: ImageRow[]; source?: SourceSyncView };

const fetchImages = () => api<ImageList>("GET", "/api/images");

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
    queryFn: async () => (await api<{ rollouts: RolloutSummary[] }>("GET", "/api/rollouts")).rollouts,
  });
}

export function usePublishMutation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (imageId: string) => api("POST", `/api/images/${imageId}/publish`, {}),
    onSettled: () => client.invalidateQueries({ queryKey: imagesKey }),
  });
}

export function useRolloutMutation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { imageId: string; hypervisors?: string[] }) => api<{ rollout: { id: string } }>("POST", "/api/rollouts", body),
    onSettled: () => client.invalidateQueries({ queryKey: ["rollouts"] }),
  });
}

export function useCleanupMutation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (imageId: string) => api<{ freedBytes: number }>("POST", "/api/cleanup", { imageId }),
    onSettled: () => client.invalidateQueries({ queryKey: ["rollouts"] }),
  });
}

export function useSyncMutation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api("POST", "/api/images/sync", {}),
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
      return api<AuditPage>("GET", `/api/audit?${search}`);
    },
    getNextPageParam: (page) => page.nextBefore,
  });
}
