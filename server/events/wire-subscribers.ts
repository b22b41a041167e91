// Who reacts to which domain event, in one place (called once from server/app.ts). Tests wire
// their fakes through the same function, so they exercise the real reactions.
import { RolloutState } from "../../protocol/states.ts";
import type { ReadCache } from "../db/read-cache.ts";
import type { UiHub } from "../realtime/ui-hub.ts";
import type { RolloutScheduler } from "../rollouts/rollout-scheduler.ts";
import type { DomainEvents } from "./domain-events.ts";

export type Subscribers = {
  ui: Pick<UiHub, "cellChanged" | "hypervisorChanged" | "artifactChanged" | "rolloutChanged">;
  cache: Pick<ReadCache, "invalidate">;
  scheduler: Pick<RolloutScheduler, "poke">;
};

export function wireSubscribers(events: Pick<DomainEvents, "subscribe">, { ui, cache, scheduler }: Subscribers): void {
  // The dashboard: every change, merged and flushed a few times a second by the hub.
  events.subscribe("cellChanged", ({ hypervisor, cell }) => ui.cellChanged(hypervisor, cell));
  events.subscribe("hypervisorChanged", ({ hypervisor }) => ui.hypervisorChanged(hypervisor));
  events.subscribe("artifactChanged", ({ imageId, artifact }) => ui.artifactChanged(imageId, artifact));
  events.subscribe("rolloutChanged", ({ rolloutId, state }) => ui.rolloutChanged(rolloutId, state));

  // The read cache forgets what the change made stale.
  events.subscribe("rolloutChanged", () => cache.invalidate("rollouts"));
  events.subscribe("imagesChanged", () => cache.invalidate("images"));
  events.subscribe("topologyChanged", () => cache.invalidate("topology"));

  // The scheduler runs a pass soon when there may be downloads to start: a rollout (re)started,
  // or targets settled or reopened outside its own pass. Pauses, cancels and ends need none.
  events.subscribe("rolloutChanged", ({ state }) => state === RolloutState.running && scheduler.poke());
  events.subscribe("targetsChanged", () => scheduler.poke());
}
