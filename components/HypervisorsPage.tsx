"use client";
import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useMemo, useState } from "react";
import {
  cellState,
  filterFromParams,
  filterSearch,
  isFiltering,
  matchesFilter,
  viewFromParams,
  type HeatmapFilter,
  type HeatmapView,
} from "../lib/heatmap-filter";
import { useImagesQuery, usePermission, useRolloutMutation } from "../lib/queries";
import { AppShell } from "./AppShell";
import { HeatmapCanvas } from "./HeatmapCanvas";
import { useLiveStore } from "./Providers";
import { ReasonButton, firstReason } from "./ReasonButton";
import { HeatmapFilterBar } from "./HeatmapFilterBar";
import { HeatmapTable } from "./HeatmapTable";
import { stateFill } from "./state-colors";
import { useToast } from "./Toasts";
import { plural } from "../lib/plural";

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
  const router = useRouter();
  const images = useImagesQuery();
  const live = useLiveStore();
  const precache = useRolloutMutation();
  const toast = useToast();
  const operator = usePermission("operator");
  const [chosen, setChosen] = useState<string | null>(params.get("image"));
  // The filter lives in the URL (shareable, survives sign-in); local state keeps typing instant.
  const [filter, setFilter] = useState<HeatmapFilter>(() => filterFromParams(params));
  const [view, setView] = useState<HeatmapView>(() => viewFromParams(params));
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const imageId = chosen ?? images.data?.[0]?.id ?? null;
  const image = images.data?.find((candidate) => candidate.id === imageId);
  const isStale = image !== undefined && image.status !== "active";
  // The Map is mutated in place by deltas; the version says when to look again.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the live map is mutated in place; its version says when it changed
  const hypervisors = useMemo(() => [...live.hypervisors.values()], [live.version]);
  const counts = useMemo(() => {
    const result: Record<string, number> = Object.fromEntries(STATES.map((state) => [state, 0]));
    for (const hypervisor of hypervisors) result[hypervisor.cells.get(imageId ?? "")?.state ?? "absent"] += 1;
    return result;
  }, [hypervisors, imageId]);
  const matching = useMemo(() => {
    if (!isFiltering(filter)) return null;
    const names = new Set<string>();
    for (const h of hypervisors) if (matchesFilter(h, cellState(h, imageId, isStale), filter)) names.add(h.name);
    return names;
  }, [hypervisors, imageId, isStale, filter]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: groups change only with membership, not with every delta's new array
  const groups = useMemo(
    () => [...new Set(hypervisors.map((h) => h.group).filter((g): g is string => g !== null))].sort(),
    [live.membership],
  );
  const summary =
    `Heatmap of ${plural(hypervisors.length, "hypervisor")} for ${image?.name ?? "no image"}: ` +
    STATES.map((state) => `${state} ${counts[state]}`).join(", ") +
    (matching ? `; ${matching.size} match the filter` : "");
  const show = (next: { filter?: HeatmapFilter; imageId?: string | null; view?: HeatmapView }) => {
    const nextFilter = next.filter ?? filter;
    const nextImage = next.imageId !== undefined ? next.imageId : chosen;
    if (next.filter) setFilter(next.filter);
    if (next.imageId !== undefined) setChosen(next.imageId);
    if (next.view) setView(next.view);
    // history.replaceState (Next keeps useSearchParams in step): no navigation per keystroke, and the
    // address is current at once, so copying it straight after typing shares what is on screen.
    window.history.replaceState(null, "", `/hypervisors${filterSearch(nextFilter, nextImage, next.view ?? view)}`);
  };

  return (
    <>
      <div className="row">
        <label htmlFor="image-select" className="muted">
          Image
        </label>
        <select id="image-select" value={imageId ?? ""} onChange={(event) => show({ imageId: event.target.value })}>
          {images.data?.map((candidate) => (
            <option key={candidate.id} value={candidate.id}>
              {candidate.name} {candidate.status !== "active" ? `(${candidate.status})` : ""}
            </option>
          ))}
        </select>
        <span className="muted" data-testid="hypervisor-count">
          {plural(hypervisors.length, "hypervisor")}, {hypervisors.filter((h) => h.online).length} online
        </span>
      </div>
      <div className="counts" data-testid="counts">
        {STATES.map((state) => (
          <span key={state}>
            <i style={{ display: "inline-block", width: 10, height: 10, background: stateFill(state), marginRight: 4 }} />
            {state}: <strong data-testid={`count-${state}`}>{counts[state]}</strong>
          </span>
        ))}
        {isStale && <span className="badge stale">stale: this image is {image?.status} in the source</span>}
      </div>
      <HeatmapFilterBar
        filter={filter}
        groups={groups}
        states={isStale ? [...STATES, "stale"] : [...STATES]}
        matches={matching?.size ?? null}
        total={hypervisors.length}
        onChange={(next) => show({ filter: next })}
      />
      <div className="row" style={{ marginBottom: 8, minHeight: 32 }}>
        <ViewToggle view={view} onChange={(next) => show({ view: next })} />
        {view === "table" ? (
          <span className="muted">One row per hypervisor, a column per image; the filter above applies.</span>
        ) : selected.size > 0 ? (
          <>
            <span data-testid="selection">{selected.size} selected</span>
            <SelectionPrecache
              imageId={imageId}
              artifactState={image?.artifact?.state ?? null}
              selected={selected}
              offline={hypervisors.filter((h) => !h.online && selected.has(h.name)).length}
              isPending={precache.isPending}
              operator={operator}
              onPrecache={() =>
                imageId &&
                precache.mutate(
                  { imageId, hypervisors: [...selected] },
                  {
                    onSuccess: (reply) => {
                      setSelected(new Set());
                      toast(`Rollout started to ${plural(reply.rollout.targets, "hypervisor")}`);
                    },
                  },
                )
              }
            />
            <button type="button" className="secondary" onClick={() => setSelected(new Set())}>
              Clear selection
            </button>
            {precache.isError && <span className="error">{precache.error.message}</span>}
          </>
        ) : (
          <span className="muted">Drag across cells to select hypervisors; click a cell for its details.</span>
        )}
      </div>
      {view === "table" ? (
        <HeatmapTable
          hypervisors={hypervisors}
          byName={live.hypervisors}
          membership={live.membership}
          images={images.data ?? []}
          matching={matching}
        />
      ) : (
        <HeatmapCanvas
          hypervisors={hypervisors}
          byName={live.hypervisors}
          membership={live.membership}
          imageId={imageId}
          isStale={isStale}
          version={live.version}
          selected={selected}
          matching={matching}
          summary={summary}
          // With a filter on, a drag selects what it shows: the matching cells only.
          onSelect={(names) => setSelected(new Set(matching ? names.filter((name) => matching.has(name)) : names))}
          onOpen={(name) => router.push(`/hypervisors/${encodeURIComponent(name)}`)}
        />
      )}
      {hypervisors.length === 0 && <p className="muted">No hypervisors yet: start an agent (npm run agent -- --server … --token …).</p>}
    </>
  );
}

/** "Heatmap | Table": the same fleet and filter as cells or as rows (kept in the URL as view=table). */
function ViewToggle({ view, onChange }: { view: HeatmapView; onChange(view: HeatmapView): void }) {
  return (
    <fieldset className="view-toggle">
      <legend className="visually-hidden">View</legend>
      {(["heatmap", "table"] as const).map((option) => (
        <button
          key={option}
          type="button"
          className={view === option ? undefined : "secondary"}
          aria-pressed={view === option}
          onClick={() => onChange(option)}
        >
          {option === "heatmap" ? "Heatmap" : "Table"}
        </button>
      ))}
    </fieldset>
  );
}

/** "Precache to selected", saying why it cannot, and how many of the chosen nodes are offline. */
function SelectionPrecache(props: {
  imageId: string | null;
  artifactState: string | null;
  selected: Set<string>;
  offline: number;
  isPending: boolean;
  operator: { isAllowed: boolean; reason: string | undefined };
  onPrecache: () => void;
}) {
  const blocker = firstReason(
    [!props.operator.isAllowed, props.operator.reason],
    [!props.imageId, "choose an image first"],
    [props.artifactState !== "ready", props.artifactState ? `the artifact is ${props.artifactState}, not ready yet` : "not published yet"],
    [props.isPending, "starting…"],
  );
  return (
    <>
      <ReasonButton disabled={Boolean(blocker)} reason={blocker} onClick={props.onPrecache}>
        Precache to selected
      </ReasonButton>
      {props.offline > 0 && (
        <span className="muted" data-testid="selection-offline">
          {props.offline} of {props.selected.size} offline: they get it when their agent is back
        </span>
      )}
    </>
  );
}
