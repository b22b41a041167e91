"use client";
import { useSearchParams } from "next/navigation";
import { Suspense, useMemo, useState } from "react";
import { formatBytes } from "../lib/api";
import { useImagesQuery } from "../lib/queries";
import { AppShell } from "./AppShell";
import { useLiveStore } from "./Providers";

const STATES = ["absent", "pending", "downloading", "cached", "failed"] as const;

export function HypervisorsPage() {
  return (
    <AppShell title="Hypervisors">
      <Suspense>
        <Heatmap />
      </Suspense>
    </AppShell>
  );
}

function Heatmap() {
  const params = useSearchParams();
  const images = useImagesQuery();
  const live = useLiveStore(true);
  const [chosen, setChosen] = useState<string | null>(params.get("image"));
  const imageId = chosen ?? images.data?.[0]?.id ?? null;
  const hypervisors = [...live.hypervisors.values()].sort((a, b) => a.name.localeCompare(b.name));
  const counts = useMemo(() => {
    const result: Record<string, number> = Object.fromEntries(STATES.map((state) => [state, 0]));
    for (const hypervisor of hypervisors) result[hypervisor.cells.get(imageId ?? "")?.state ?? "absent"] += 1;
    return result;
  }, [hypervisors, imageId]);

  return (
    <>
      <div className="row">
        <label htmlFor="image-select" className="muted">Image</label>
        <select id="image-select" value={imageId ?? ""} onChange={(event) => setChosen(event.target.value)}>
          {images.data?.map((image) => (
            <option key={image.id} value={image.id}>
              {image.name}
            </option>
          ))}
        </select>
        <span className="muted">{hypervisors.length} hypervisors, {hypervisors.filter((h) => h.online).length} online</span>
      </div>
      <div className="counts" data-testid="counts">
        {STATES.map((state) => (
          <span key={state}>
            {state}: <strong data-testid={`count-${state}`}>{counts[state]}</strong>
          </span>
        ))}
      </div>
      <div className="legend">
        {STATES.map((state) => (
          <span key={state}>
            <i style={{ background: `var(--${state})` }} />
            {state}
          </span>
        ))}
      </div>
      <div className="grid" data-testid="heatmap">
        {hypervisors.map((hypervisor) => {
          const cell = hypervisor.cells.get(imageId ?? "");
          const state = cell?.state ?? "absent";
          const percent = cell?.totalBytes ? Math.min(100, (100 * cell.bytes) / cell.totalBytes) : 0;
          const title = [
            hypervisor.name,
            hypervisor.online ? "online" : "offline",
            state + (state === "downloading" ? ` ${percent.toFixed(0)}%` : ""),
            cell?.error ?? "",
            `free ${formatBytes(hypervisor.freeBytes)}`,
          ]
            .filter(Boolean)
            .join("\n");
          return (
            <div key={hypervisor.name} className="cell" data-testid="cell" data-name={hypervisor.name} data-state={state} data-online={hypervisor.online} title={title}>
              {state === "downloading" && <span style={{ height: `${percent}%` }} />}
            </div>
          );
        })}
      </div>
      {hypervisors.length === 0 && <p className="muted">No hypervisors yet: start an agent (npm run agent -- --server … --token …).</p>}
    </>
  );
}
