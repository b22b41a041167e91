import { describe, expect, it } from "vitest";
import { AgentState, ConnectionState, isLegalTransition, TRANSITIONS } from "./connection-state.ts";

const ALL = Object.values(AgentState);

describe("the agent's transition table", () => {
  it("allows exactly the lifecycle: connect, hello, ready, reconnect, stop", () => {
    const legal = ALL.flatMap((from) => ALL.filter((to) => isLegalTransition(from, to)).map((to) => `${from}→${to}`));
    expect(legal.sort()).toEqual(
      [
        "stopped→connecting",
        "stopped→stopping",
        "connecting→handshaking",
        "connecting→stopping",
        "handshaking→ready",
        "handshaking→connecting",
        "handshaking→stopping",
        "ready→connecting",
        "ready→stopping",
        "stopping→stopped",
      ].sort(),
    );
  });

  it("lets every state but stopped reach stopping, and stopping lead only to stopped", () => {
    for (const from of ALL) if (from !== AgentState.stopping) expect(TRANSITIONS[from]).toContain(AgentState.stopping);
    expect(TRANSITIONS.stopping).toEqual([AgentState.stopped]);
  });

  it("never reaches ready without a hello", () => {
    const toReady = ALL.filter((from) => isLegalTransition(from, AgentState.ready));
    expect(toReady).toEqual([AgentState.handshaking]);
  });
});

describe("ConnectionState", () => {
  it("follows legal transitions and reports, then ignores, an illegal one", () => {
    const illegal: string[] = [];
    const connection = new ConnectionState((from, to) => illegal.push(`${from}→${to}`));
    expect(connection.transition(AgentState.connecting)).toBe(true);
    expect(connection.transition(AgentState.ready)).toBe(false);
    expect(connection.state).toBe(AgentState.connecting);
    expect(illegal).toEqual(["connecting→ready"]);
  });

  it("resolves whenReady once the hello is accepted, and at once after", async () => {
    const connection = new ConnectionState(() => undefined);
    let isResolved = false;
    const ready = connection.whenReady().then(() => {
      isResolved = true;
    });
    connection.transition(AgentState.connecting);
    connection.transition(AgentState.handshaking);
    await Promise.resolve();
    expect(isResolved).toBe(false);
    connection.transition(AgentState.ready);
    await ready;
    expect(isResolved).toBe(true);
    await expect(connection.whenReady()).resolves.toBeUndefined();
  });

  it("does not resolve whenReady when a late hello answer meets a stop", () => {
    const connection = new ConnectionState(() => undefined);
    connection.transition(AgentState.connecting);
    connection.transition(AgentState.handshaking);
    connection.transition(AgentState.stopping);
    expect(connection.transition(AgentState.ready)).toBe(false);
    expect(connection.state).toBe(AgentState.stopping);
  });
});
