import { describe, expect, it } from "vitest";
import { imageAbort, imageDelete, settingsChanged } from "../../protocol/events.ts";
import { AgentError } from "../agent-error.ts";
import { CommandRegistry } from "./command-registry.ts";
import { AgentState, ConnectionState } from "./connection-state.ts";

type Listener = (payload: unknown, ack?: unknown) => void;

/** Stands in for the socket.io client: records listeners, lets the test play the server. */
function fakeSocket() {
  const listeners = new Map<string, Listener>();
  return {
    on(event: string, listener: Listener) {
      listeners.set(event, listener);
    },
    /** Sends `event` as the server would and resolves with the agent's ack. */
    send(event: string, payload: unknown): Promise<unknown> {
      return new Promise((resolve) => listeners.get(event)!(payload, resolve));
    },
    notify(event: string, payload: unknown) {
      listeners.get(event)!(payload);
    },
  };
}

function connectionIn(...path: AgentState[]) {
  const connection = new ConnectionState(() => undefined);
  for (const state of path) connection.transition(state);
  return connection;
}

const ABORT = { imageId: "cirros", rolloutId: "0b7e4a52-8a1f-4c3e-9d2b-5f6a7b8c9d0e" };

describe("CommandRegistry", () => {
  it("refuses a command with NOT_READY before the hello is accepted, without running its handler", async () => {
    const calls: unknown[] = [];
    const connection = connectionIn(AgentState.connecting, AgentState.handshaking);
    const socket = fakeSocket();
    new CommandRegistry(connection)
      .command("image:abort", imageAbort, (command) => (calls.push(command), { aborted: true }))
      .attach(socket);
    expect(await socket.send("image:abort", ABORT)).toEqual({
      ok: false,
      error: { code: "NOT_READY", message: "agent is handshaking" },
    });
    expect(calls).toEqual([]);
  });

  it("runs the handler once ready and acks its result", async () => {
    const connection = connectionIn(AgentState.connecting, AgentState.handshaking, AgentState.ready);
    const socket = fakeSocket();
    new CommandRegistry(connection)
      .command("image:abort", imageAbort, (command) => ({ aborted: command.imageId === "cirros" }))
      .attach(socket);
    expect(await socket.send("image:abort", ABORT)).toEqual({ ok: true, data: { aborted: true } });
  });

  it("refuses an invalid command and acks a handler's error with its code", async () => {
    const connection = connectionIn(AgentState.connecting, AgentState.handshaking, AgentState.ready);
    const socket = fakeSocket();
    new CommandRegistry(connection)
      .command("image:delete", imageDelete, () => {
        throw new AgentError("IN_USE", "image cirros is still in use");
      })
      .attach(socket);
    expect(await socket.send("image:delete", { imageId: "../etc" })).toMatchObject({ ok: false, error: { code: "INVALID_COMMAND" } });
    expect(await socket.send("image:delete", { imageId: "cirros" })).toEqual({
      ok: false,
      error: { code: "IN_USE", message: "image cirros is still in use" },
    });
  });

  it("applies a notice in any state (settings sent while an enrolment is being stored)", () => {
    const applied: unknown[] = [];
    const socket = fakeSocket();
    new CommandRegistry(connectionIn(AgentState.connecting, AgentState.handshaking))
      .notice("settings:changed", settingsChanged, (settings) => applied.push(settings))
      .attach(socket);
    const settings = { proxies: ["http://squid:3128"], pinned: [], artifactBaseUrl: "http://origin/artifacts/" };
    socket.notify("settings:changed", settings);
    socket.notify("settings:changed", { proxies: "not a list" });
    expect(applied).toEqual([settings]);
  });

  it("refuses to register two handlers for one event", () => {
    const registry = new CommandRegistry(connectionIn()).command("image:abort", imageAbort, () => ({ aborted: false }));
    expect(() => registry.command("image:abort", imageAbort, () => ({ aborted: true }))).toThrow(/already registered/);
  });
});
