"use client";
// Delete a group (DELETE /api/groups/{name}); the server refuses while members or a rollout depend on it.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../lib/api";
import { plural } from "../lib/plural";
import { usePermission } from "../lib/queries";
import { deleteGroupReply } from "../protocol/api/topology";
import { ReasonButton, firstReason } from "./ReasonButton";
import { useToast } from "./Toasts";

type Props = { name: string; members: number; isSaved: boolean; onUnsaved(): void };

export function DeleteGroupButton({ name, members, isSaved, onUnsaved }: Props) {
  const client = useQueryClient();
  const toast = useToast();
  const admin = usePermission("admin");
  const remove = useMutation({
    mutationFn: () => api("DELETE", `/api/groups/${encodeURIComponent(name)}`, deleteGroupReply),
    onSuccess: () => {
      toast(`group ${name} deleted`);
      client.invalidateQueries({ queryKey: ["topology"] });
    },
    onError: (error) => toast(error.message, { isError: true }),
  });
  const blocker = firstReason(
    [!admin.isAllowed, admin.reason],
    [members > 0, `${plural(members, "hypervisor")} still in it: move them first (on each node's page)`],
    [remove.isPending, "deleting…"],
  );
  return (
    <ReasonButton
      className="secondary"
      disabled={Boolean(blocker)}
      reason={blocker}
      aria-label={`Delete group ${name}`}
      onClick={() => (isSaved ? remove.mutate() : onUnsaved())}
    >
      Delete
    </ReasonButton>
  );
}
