import { describe, expect, it } from "vitest";
import { planPeerSources } from "./plan-peer-sources.ts";

const holder = (name: string, uploads = 0) => ({ name, url: `http://${name}:9494`, uploads });
const base = { squidStarted: 0, seeds: 1, holders: [], fanout: 2, excluded: new Set<string>() };

describe("peer distribution tree", () => {
  it("sends the first node of a group to the Squid and makes the rest wait for a holder", () => {
    expect(planPeerSources({ ...base, pending: ["a", "b", "c"] })).toEqual([{ name: "a", source: "squid" }]);
  });

  it("never sends more than `seeds` nodes to the Squid in the whole rollout", () => {
    expect(planPeerSources({ ...base, seeds: 2, squidStarted: 2, inFlight: 2, pending: ["c"] })).toEqual([]);
  });

  it("gives each holder at most `fanout` downloads, least busy first, with fallbacks", () => {
    const plan = planPeerSources({ ...base, squidStarted: 1, holders: [holder("h1", 1), holder("h2")], pending: ["a", "b", "c", "d"] });
    expect(plan.map((step) => (step.source === "peers" ? `${step.name}<${step.peers[0].name}` : step.name))).toEqual([
      "a<h2",
      "b<h1",
      "c<h2",
    ]);
    const first = plan[0];
    expect(first.source === "peers" && first.peers.map((peer) => peer.name)).toEqual(["h2", "h1"]);
  });

  it("sends retries to the Squid, and everyone when no holder can come", () => {
    const plan = planPeerSources({ ...base, squidStarted: 1, holders: [holder("h1")], retries: new Set(["b"]), pending: ["a", "b"] });
    expect(plan.map((step) => `${step.name}:${step.source}`)).toEqual(["a:peers", "b:squid"]);
    const stranded = planPeerSources({
      ...base,
      squidStarted: 1,
      holders: [holder("liar")],
      excluded: new Set(["liar"]),
      inFlight: 0,
      pending: ["c"],
    });
    expect(stranded).toEqual([{ name: "c", source: "squid" }]);
    const waiting = planPeerSources({ ...base, squidStarted: 1, holders: [], inFlight: 1, pending: ["c"] });
    expect(waiting).toEqual([]);
  });

  it("leaves out holders that failed a node", () => {
    const plan = planPeerSources({
      ...base,
      squidStarted: 1,
      holders: [holder("liar"), holder("good")],
      excluded: new Set(["liar"]),
      pending: ["a"],
    });
    expect(plan).toEqual([{ name: "a", source: "peers", peers: [{ name: "good", url: "http://good:9494" }] }]);
  });
});
