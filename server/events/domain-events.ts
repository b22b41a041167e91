// The one path a state change takes to everyone who reacts to it. Domain functions write the
// database, then publish what changed, once; the dashboard hub, the read cache and the rollout
// scheduler subscribe at boot (server/events/wire-subscribers.ts). Nobody has to remember whom
// to tell, and a new reaction is one subscription, not an edit in every writer.
//
// Delivery is synchronous and in subscription order: a writer that publishes and then reads
// (topology changes invalidate the cache, then build agents' settings) sees the effect at once.
// Subscribers must be cheap and must not throw: they batch or schedule, they never do the work.
import type { ArtifactView } from "../../protocol/api/images.ts";
import type { RolloutState } from "../../protocol/states.ts";
import type { CellView, CleanupDelta, HypervisorHeader } from "../../protocol/ui.ts";

export type DomainEventMap = {
  /** A hypervisor × image cell was written, or removed (state "absent"). */
  cellChanged: { hypervisor: string; cell: CellView };
  /** A hypervisor's header changed: online, group, free space, last seen. */
  hypervisorChanged: { hypervisor: HypervisorHeader };
  /** An image's artifact changed: publishing, its progress, ready or failed. */
  artifactChanged: { imageId: string; artifact: ArtifactView };
  /** A rollout changed state (created running, paused, resumed, retried, cancelled, finished). */
  rolloutChanged: { rolloutId: string; state: RolloutState };
  /** A cleanup started, a node's outcome arrived, its artifact step changed, or it ended. */
  cleanupChanged: { cleanup: CleanupDelta };
  /**
   * Rollout targets changed outside the scheduler's own pass (results, failures, a node that said
   * hello): a pass may now have downloads to start.
   */
  targetsChanged: Record<string, never>;
  /** The image list was re-read from the image source. */
  imagesChanged: Record<string, never>;
  /** What agents' settings are made of changed: group proxies, a node's group, pinned images. */
  topologyChanged: Record<string, never>;
};

export type DomainEventName = keyof DomainEventMap;
type Subscriber<Name extends DomainEventName> = (event: DomainEventMap[Name]) => void;
/**
 * Which changes a subscriber hears: this server's own ("local", the default), those other servers
 * sharing the database relayed (server/cluster/cluster-relay.ts: "peers"), or both ("anywhere").
 */
export type EventScope = "local" | "peers" | "anywhere";
type Entry = { subscriber: Subscriber<never>; scope: EventScope };

export class DomainEvents {
  private readonly subscribers = new Map<DomainEventName, Entry[]>();

  publish<Name extends DomainEventName>(name: Name, event: DomainEventMap[Name]): void {
    this.deliver(name, event, "local");
  }

  /** A change another server made and relayed here. */
  publishFromPeer<Name extends DomainEventName>(name: Name, event: DomainEventMap[Name]): void {
    this.deliver(name, event, "peers");
  }

  private deliver<Name extends DomainEventName>(name: Name, event: DomainEventMap[Name], origin: "local" | "peers"): void {
    for (const { subscriber, scope } of this.subscribers.get(name) ?? []) {
      if (scope === origin || scope === "anywhere") (subscriber as Subscriber<Name>)(event);
    }
  }

  /** Returns the unsubscribe. */
  subscribe<Name extends DomainEventName>(name: Name, subscriber: Subscriber<Name>, scope: EventScope = "local"): () => void {
    const list = this.subscribers.get(name) ?? [];
    const entry = { subscriber: subscriber as Subscriber<never>, scope };
    list.push(entry);
    this.subscribers.set(name, list);
    return () => {
      const at = list.indexOf(entry);
      if (at >= 0) list.splice(at, 1);
    };
  }
}

/** What domain functions need of the bus: they publish, only app wiring subscribes. */
export type EventPublisher = Pick<DomainEvents, "publish">;
