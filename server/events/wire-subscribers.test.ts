// Who hears what: each domain event reaches the dashboard, the read cache and the scheduler
// exactly as the writers used to call them by hand, synchronously, once per publish.
import { describe, expect, it } from "vitest";
import { DomainEvents } from "./domain-events.ts";
import { wireSubscribers } from "./wire-subscribers.ts";

function wired() {
  const calls: string[] = [];
  const events = new DomainEvents();
  wireSubscribers(events, {
    ui: {
      cellChanged: (hypervisor, cell) => void calls.push(`ui.cell ${hypervisor} ${cell.imageId} ${cell.state}`),
      hypervisorChanged: (view) => void calls.push(`ui.hypervisor ${view.name}`),
      artifactChanged: (imageId) => void calls.push(`ui.artifact ${imageId}`),
      rolloutChanged: (id, state) => void calls.push(`ui.rollout ${id} ${state}`),
      cleanupChanged: (cleanup) => void calls.push(`ui.cleanup ${cleanup.id} ${cleanup.state}`),
    },
    cache: { invalidate: (part) => void calls.push(`cache.invalidate ${part}`) },
    scheduler: { poke: () => void calls.push("scheduler.poke") },
    pushAgentSettings: () => void calls.push("agents.settings"),
  });
  return { events, calls };
}

describe("wireSubscribers", () => {
  it("a rollout that runs (created, resumed, retried) reaches the dashboard, the cache and the scheduler", () => {
    const { events, calls } = wired();
    events.publish("rolloutChanged", { rolloutId: "r1", state: "running" });
    expect(calls).toEqual(["ui.rollout r1 running", "cache.invalidate rollouts", "scheduler.poke"]);
  });

  it("a rollout that stops (paused, cancelled, finished) does not poke the scheduler", () => {
    const { events, calls } = wired();
    for (const state of ["paused", "cancelled", "done", "failed"] as const) events.publish("rolloutChanged", { rolloutId: "r1", state });
    expect(calls.filter((call) => call === "scheduler.poke")).toEqual([]);
    expect(calls.filter((call) => call.startsWith("ui.rollout"))).toHaveLength(4);
  });

  it("targets changed outside a pass poke the scheduler; images and topology make the cache forget their part", () => {
    const { events, calls } = wired();
    events.publish("targetsChanged", {});
    events.publish("imagesChanged", {});
    events.publish("topologyChanged", {});
    expect(calls).toEqual(["scheduler.poke", "cache.invalidate images", "cache.invalidate topology"]);
  });

  it("cells, hypervisors and artifacts go to the dashboard only", () => {
    const { events, calls } = wired();
    events.publish("cellChanged", {
      hypervisor: "hv1",
      cell: { imageId: "img", state: "cached", bytes: 1, totalBytes: 1, error: null, at: 1 },
    });
    events.publish("hypervisorChanged", {
      hypervisor: { name: "hv1", group: null, online: true, freeBytes: 0, lastSeenAt: "2026-11-30T12:00:00.000Z" },
    });
    expect(calls).toEqual(["ui.cell hv1 img cached", "ui.hypervisor hv1"]);
  });

  it("a cleanup's outcomes go to the dashboard only", () => {
    const { events, calls } = wired();
    events.publish("cleanupChanged", { cleanup: { id: "c1", imageId: "img", state: "running", nodes: [], artifact: null } });
    expect(calls).toEqual(["ui.cleanup c1 running"]);
  });
});

describe("DomainEvents", () => {
  it("delivers synchronously, in subscription order, until unsubscribed", () => {
    const events = new DomainEvents();
    const seen: string[] = [];
    const stop = events.subscribe("imagesChanged", () => void seen.push("first"));
    events.subscribe("imagesChanged", () => void seen.push("second"));
    events.publish("imagesChanged", {});
    expect(seen).toEqual(["first", "second"]);
    stop();
    events.publish("imagesChanged", {});
    expect(seen).toEqual(["first", "second", "second"]);
  });

  it("another server's changes reach the cache, the scheduler and this server's agents, but not the dashboard one by one", () => {
    const { events, calls } = wired();
    events.publishFromPeer("rolloutChanged", { rolloutId: "r1", state: "running" });
    events.publishFromPeer("targetsChanged", {});
    events.publishFromPeer("topologyChanged", {});
    events.publishFromPeer("cellChanged", {
      hypervisor: "hv1",
      cell: { imageId: "img", state: "cached", bytes: 1, totalBytes: 1, error: null, at: 1 },
    });
    expect(calls).toEqual([
      "cache.invalidate rollouts",
      "scheduler.poke",
      "scheduler.poke",
      "cache.invalidate topology",
      "agents.settings",
    ]);
  });

  it("this server's own topology change does not push settings twice (the writer pushes them)", () => {
    const { events, calls } = wired();
    events.publish("topologyChanged", {});
    expect(calls).not.toContain("agents.settings");
  });
});
