// Who reacts to which domain event, in one place (called once from server/app.ts). Tests wire
// their fakes through the same function, so they exercise the real reactions.
import { RolloutState } from "../../protocol/states.ts";
import type { ReadCache } from "../db/read-cache.ts";
import type { UiHub } from "../realtime/ui-hub.ts";
import type { RolloutScheduler } from "../rollouts/rollout-scheduler.ts";
import type { DomainEvents } from "./domain-events.ts";

export type Subscribers = {
  ui: Pick<UiHub, "cellChanged" | "hypervisorChanged" | "artifactChanged" | "rolloutChanged" | "cleanupChanged">;
  cache: Pick<ReadCache, "invalidate">;
  scheduler: Pick<RolloutScheduler, "poke">;
  /** Sends this server's agents their settings again (another server changed the topology). */
  pushAgentSettings: () => void;
};

export function wireSubscribers(events: Pick<DomainEvents, "subscribe">, { ui, cache, scheduler, pushAgentSettings }: Subscribers): void {
  // The dashboard: every change, merged and flushed a few times a second by the hub. Other
  // servers' changes reach it as their hubs' merged deltas (cluster-relay), not one by one.
  events.subscribe("cellChanged", ({ hypervisor, cell }) => ui.cellChanged(hypervisor, cell));
  events.subscribe("hypervisorChanged", ({ hypervisor }) => ui.hypervisorChanged(hypervisor));
  events.subscribe("artifactChanged", ({ imageId, artifact }) => ui.artifactChanged(imageId, artifact));
  events.subscribe("rolloutChanged", ({ rolloutId, state }) => ui.rolloutChanged(rolloutId, state));
  events.subscribe("cleanupChanged", ({ cleanup }) => ui.cleanupChanged(cleanup));

  // The read cache forgets what the change made stale.
  // Changes made on another server sharing the database count as much as this one's.
  events.subscribe("rolloutChanged", () => cache.invalidate("rollouts"), "anywhere");
  events.subscribe("imagesChanged", () => cache.invalidate("images"), "anywhere");
  events.subscribe("topologyChanged", () => cache.invalidate("topology"), "anywhere");
  // The server that made a topology change pushes settings to its own agents itself.
  events.subscribe("topologyChanged", () => pushAgentSettings(), "peers");

  // The scheduler runs a pass soon when there may be downloads to start: a rollout (re)started,
  // or targets settled or reopened outside its own pass. Pauses, cancels and ends need none.
  // The leader may be another server: results and hellos arrive wherever the agent is connected.
  events.subscribe("rolloutChanged", ({ state }) => state === RolloutState.running && scheduler.poke(), "anywhere");
  events.subscribe("targetsChanged", () => scheduler.poke(), "anywhere");
}
