"use client";
// "Precache…": what a rollout would reach and how long the planner thinks it takes, with its
// options (groups, strategy, source, per-proxy concurrency, bandwidth cap); starting it opens
// the new rollout's page.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { api, formatBytes } from "../lib/api";
import { formatSeconds } from "../lib/format-duration";
import { type CreateRolloutRequest, createRolloutReply, rolloutEstimateReply } from "../protocol/api/rollouts";
import { Modal } from "./Modal";
import { plural } from "../lib/plural";

/** The dialog always names strategy, source and concurrency. */
export type RolloutRequest = CreateRolloutRequest & Required<Pick<CreateRolloutRequest, "strategy" | "source" | "perProxyConcurrency">>;

export function RolloutDialog({ image, onClose }: { image: { id: string; name: string }; onClose: () => void }) {
  const router = useRouter();
  const client = useQueryClient();
  const [scope, setScope] = useState<"all" | "groups">("all");
  const [groups, setGroups] = useState<string[]>([]);
  const [strategy, setStrategy] = useState<"waves" | "jitter">("waves");
  const [jitterSeconds, setJitterSeconds] = useState(60);
  const [source, setSource] = useState<"squid" | "peers">("squid");
  const [concurrency, setConcurrency] = useState(25);
  const [bandwidth, setBandwidth] = useState("");
  const chosenGroups = scope === "groups" ? groups : undefined;
  const estimate = useQuery({
    queryKey: ["rollout-estimate", image.id, chosenGroups ?? null, strategy, jitterSeconds],
    queryFn: async () => {
      const search = new URLSearchParams({ strategy });
      for (const group of chosenGroups ?? []) search.append("group", group);
      if (strategy === "jitter") search.set("jitterSeconds", String(jitterSeconds));
      return (await api("GET", `/api/images/${encodeURIComponent(image.id)}/estimate?${search}`, rolloutEstimateReply)).estimate;
    },
    enabled: scope === "all" || groups.length > 0,
    placeholderData: (previous) => previous,
  });
  const start = useMutation({
    mutationFn: (body: RolloutRequest) => api("POST", "/api/rollouts", createRolloutReply, body),
    onSuccess: ({ rollout }) => {
      void client.invalidateQueries({ queryKey: ["rollouts"] });
      router.push(`/rollouts/${rollout.id}`);
    },
  });
  const e = estimate.data;
  const bandwidthMbps = bandwidth.trim() === "" ? undefined : Number(bandwidth);
  const isBandwidthValid = bandwidthMbps === undefined || (Number.isFinite(bandwidthMbps) && bandwidthMbps > 0);
  const targets = scope === "groups" && groups.length === 0 ? 0 : (e?.targets ?? null);
  const blocker =
    scope === "groups" && groups.length === 0
      ? "choose at least one group"
      : targets === 0
        ? "no hypervisors to send to: start an agent first"
        : e && !e.image.isReady
          ? "the image is not published yet"
          : !isBandwidthValid
            ? "the bandwidth cap must be a positive number of Mbit/s"
            : !Number.isInteger(concurrency) || concurrency < 1
              ? "concurrency must be a whole number from 1"
              : null;
  const submit = () =>
    start.mutate({
      imageId: image.id,
      ...(chosenGroups ? { groups: chosenGroups } : {}),
      strategy,
      ...(strategy === "jitter" ? { jitterSeconds } : {}),
      source,
      perProxyConcurrency: concurrency,
      ...(bandwidthMbps !== undefined ? { bandwidthMbps } : {}),
    });
  return (
    <Modal
      title={`Precache ${image.name}`}
      onClose={onClose}
      testId="rollout-dialog"
      footer={
        <>
          {(start.error || estimate.error) && (
            <span className="error" role="alert">
              {(start.error ?? estimate.error)?.message}
            </span>
          )}
          {blocker && !start.error && (
            <span className="muted" id="rollout-blocker">
              {blocker}
            </span>
          )}
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            onClick={submit}
            disabled={Boolean(blocker) || start.isPending || !e}
            aria-describedby={blocker ? "rollout-blocker" : undefined}
          >
            {start.isPending ? "Starting…" : targets === null ? "Start rollout" : `Start rollout to ${targets}`}
          </button>
        </>
      }
    >
      <p data-testid="rollout-dialog-summary">
        {e ? (
          <>
            {formatBytes(e.image.size)} image
            {e.image.compressedSize !== null && <>, {formatBytes(e.image.compressedSize)} compressed</>}
            {" → "}
            <strong data-testid="rollout-dialog-targets">
              {scope === "all"
                ? `all ${plural(e.targets, "hypervisor")}, and hypervisors that join later`
                : groups.length
                  ? `${plural(e.targets, "hypervisor")} in ${groups.join(", ")}, and members that join later`
                  : "no group chosen"}
            </strong>
          </>
        ) : (
          <span className="muted">Counting hypervisors…</span>
        )}
      </p>
      <fieldset>
        <legend>Targets</legend>
        <label>
          <input type="radio" name="scope" checked={scope === "all"} onChange={() => setScope("all")} data-autofocus /> All hypervisors
        </label>
        <label>
          <input type="radio" name="scope" checked={scope === "groups"} onChange={() => setScope("groups")} disabled={!e?.groups.length} />{" "}
          Chosen groups {e && e.groups.length === 0 && <span className="muted">(no hypervisor has a group)</span>}
        </label>
        {scope === "groups" &&
          e?.groups.map((group) => (
            <label key={group.name} style={{ marginLeft: 24 }}>
              <input
                type="checkbox"
                checked={groups.includes(group.name)}
                onChange={(event) =>
                  setGroups((all) => (event.target.checked ? [...all, group.name] : all.filter((name) => name !== group.name)))
                }
              />{" "}
              {group.name} <span className="muted">({group.hypervisors})</span>
            </label>
          ))}
      </fieldset>
      <fieldset>
        <legend>Source</legend>
        <label>
          <input type="radio" name="source" checked={source === "squid"} onChange={() => setSource("squid")} /> Squid only{" "}
          <span className="muted" data-testid="estimate-squid">
            planner: {e ? formatEstimate(e.squidSeconds) : "…"}
          </span>
        </label>
        <label>
          <input type="radio" name="source" checked={source === "peers"} onChange={() => setSource("peers")} /> Peers (first nodes per group
          from the Squid, the rest from holders){" "}
          <span className="muted" data-testid="estimate-peers">
            planner: {e ? formatEstimate(e.peerSeconds) : "…"}
          </span>
        </label>
        {e && e.proxies === 0 && <p className="muted">No proxy bandwidths on the Topology page: the planner cannot estimate.</p>}
      </fieldset>
      <fieldset>
        <legend>Pace</legend>
        <label>
          Strategy{" "}
          <select value={strategy} onChange={(event) => setStrategy(event.target.value as "waves" | "jitter")} aria-label="Strategy">
            <option value="waves">waves (warm each proxy, then fan out)</option>
            <option value="jitter">jitter (every node after a random delay)</option>
          </select>
        </label>
        {strategy === "jitter" && (
          <label>
            Jitter up to{" "}
            <input
              type="number"
              min={0}
              max={3600}
              value={jitterSeconds}
              onChange={(event) => setJitterSeconds(Math.max(0, Math.min(3600, Number(event.target.value) || 0)))}
              aria-label="Jitter seconds"
              style={{ width: 90 }}
            />{" "}
            s
          </label>
        )}
        <label>
          Downloads per proxy at once{" "}
          <input
            type="number"
            min={1}
            max={10000}
            value={concurrency}
            onChange={(event) => setConcurrency(Number(event.target.value))}
            aria-label="Downloads per proxy at once"
            style={{ width: 90 }}
          />
        </label>
        <label>
          Bandwidth cap per node{" "}
          <input
            type="number"
            min={1}
            placeholder="none"
            value={bandwidth}
            onChange={(event) => setBandwidth(event.target.value)}
            aria-label="Bandwidth cap per node in Mbit/s"
            style={{ width: 90 }}
          />{" "}
          Mbit/s
        </label>
      </fieldset>
    </Modal>
  );
}

function formatEstimate(seconds: number | null): string {
  return seconds === null ? "no estimate" : `≈ ${formatSeconds(seconds)}`;
}
