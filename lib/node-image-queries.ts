// One node's copy of one image: remove it there, or fetch and verify it again (a one-node rollout).
"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { refetchNodeImageReply, removeNodeImageReply } from "../protocol/api/hypervisors";
import { api } from "./api";

type NodeImage = { hypervisor: string; imageId: string };
const route = ({ hypervisor, imageId }: NodeImage) =>
  `/api/hypervisors/${encodeURIComponent(hypervisor)}/images/${encodeURIComponent(imageId)}`;

export function useRemoveNodeImageMutation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (target: NodeImage) => api("DELETE", route(target), removeNodeImageReply),
    onSettled: (_data, _error, target) => client.invalidateQueries({ queryKey: ["hypervisor", { name: target.hypervisor }] }),
  });
}

export function useRefetchNodeImageMutation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (target: NodeImage) => api("POST", `${route(target)}/refetch`, refetchNodeImageReply, {}),
    onSettled: (_data, _error, target) => {
      void client.invalidateQueries({ queryKey: ["hypervisor", { name: target.hypervisor }] });
      void client.invalidateQueries({ queryKey: ["rollouts"] });
    },
  });
}
