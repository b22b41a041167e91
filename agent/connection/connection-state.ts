// The agent's connection lifecycle as one table, so every state change is checked in one place:
//
//   stopped → connecting → handshaking → ready
//                 ↑______________|__________|   (socket lost, hello refused: socket.io or we reconnect)
//   any state but stopped → stopping → stopped   (graceful stop; stopped → stopping for a stop before start)
//
// An illegal change is a bug or a race lost to stop() (a hello answered after the stop began):
// it is logged and ignored rather than thrown, because it runs inside socket event handlers,
// where a throw would kill the agent process instead of just dropping the late event.

export const AgentState = {
  stopped: "stopped",
  connecting: "connecting",
  /** Connected; our hello is sent and the server has not accepted it yet. Commands are refused. */
  handshaking: "handshaking",
  ready: "ready",
  /** stop() running: downloads finish or are aborted, nothing new starts. */
  stopping: "stopping",
} as const;
export type AgentState = (typeof AgentState)[keyof typeof AgentState];

export const TRANSITIONS: Readonly<Record<AgentState, readonly AgentState[]>> = {
  stopped: [AgentState.connecting, AgentState.stopping],
  connecting: [AgentState.handshaking, AgentState.stopping],
  handshaking: [AgentState.ready, AgentState.connecting, AgentState.stopping],
  ready: [AgentState.connecting, AgentState.stopping],
  stopping: [AgentState.stopped],
};

export function isLegalTransition(from: AgentState, to: AgentState): boolean {
  return TRANSITIONS[from].includes(to);
}

export class ConnectionState {
  private current: AgentState = AgentState.stopped;
  private readyWaiters: (() => void)[] = [];

  constructor(private readonly onIllegal: (from: AgentState, to: AgentState) => void) {}

  get state(): AgentState {
    return this.current;
  }

  is(...states: AgentState[]): boolean {
    return states.includes(this.current);
  }

  /** Moves to `to` if the table allows it; otherwise reports it and stays put. */
  transition(to: AgentState): boolean {
    if (!isLegalTransition(this.current, to)) {
      this.onIllegal(this.current, to);
      return false;
    }
    this.current = to;
    if (to === AgentState.ready) for (const resolve of this.readyWaiters.splice(0)) resolve();
    return true;
  }

  /** Resolves once the server has accepted a hello (at once if it already has). */
  whenReady(): Promise<void> {
    if (this.current === AgentState.ready) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }
}
