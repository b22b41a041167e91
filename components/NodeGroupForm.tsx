"use client";
// Set (or clear) a hypervisor's group from its page: POST /api/hypervisors/{name}/group (admin).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState, type FormEvent } from "react";
import { api } from "../lib/api";
import { usePermission } from "../lib/queries";
import { type SetGroupRequest, setGroupReply } from "../protocol/api/hypervisors";
import { topologyReply } from "../protocol/api/topology";
import { ReasonButton, firstReason } from "./ReasonButton";
import { useToast } from "./Toasts";

export function NodeGroupForm({ name, group }: { name: string; group: string | null }) {
  const client = useQueryClient();
  const toast = useToast();
  const admin = usePermission("admin");
  const listId = useId();
  const [value, setValue] = useState(group ?? "");
  useEffect(() => setValue(group ?? ""), [group]);
  // Known groups to choose from; a new name creates the group.
  const topology = useQuery({ queryKey: ["topology"], queryFn: async () => (await api("GET", "/api/topology", topologyReply)).topology });
  const save = useMutation({
    mutationFn: (next: string | null) =>
      api("POST", `/api/hypervisors/${encodeURIComponent(name)}/group`, setGroupReply, {
        group: next,
      } satisfies SetGroupRequest),
    onSuccess: (_reply, next) => {
      toast(next ? `${name} is now in ${next}` : `${name} has no group now`);
      client.invalidateQueries({ queryKey: ["hypervisor", { name }] });
      client.invalidateQueries({ queryKey: ["topology"] });
    },
  });
  const trimmed = value.trim();
  const blocker = firstReason([!admin.isAllowed, admin.reason], [trimmed === (group ?? ""), "unchanged"], [save.isPending, "saving…"]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!blocker) save.mutate(trimmed || null);
  };
  return (
    <form className="row" onSubmit={submit} style={{ marginBottom: 12 }}>
      <label htmlFor="node-group">Group</label>
      <input
        id="node-group"
        list={listId}
        value={value}
        placeholder="no group"
        aria-invalid={save.isError || undefined}
        aria-describedby={save.isError ? "node-group-error" : undefined}
        onChange={(event) => setValue(event.target.value)}
      />
      <datalist id={listId}>
        {topology.data?.groups.map((known) => (
          <option key={known.name} value={known.name} />
        ))}
      </datalist>
      <ReasonButton type="submit" disabled={Boolean(blocker)} reason={blocker === "unchanged" ? null : blocker}>
        Set group
      </ReasonButton>
      {save.isError && (
        <span id="node-group-error" className="error" role="alert">
          {save.error.message}
        </span>
      )}
    </form>
  );
}
