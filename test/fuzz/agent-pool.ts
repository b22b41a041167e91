// A few fuzzing agents on /agent, each enrolled under its own name with the enrolment token and
// greeted with a valid hello. One the server drops is replaced by a new one under a new name.
import { connectAgent, helloFor, sayHello, type RawAgent } from "./agent-socket.ts";
import type { SocketCase } from "./socket-cases.ts";

export type SocketOutcome = "sent" | "acked" | "disconnected" | "unanswered" | "client refused";

export class AgentPool {
  private slots: (Promise<RawAgent> | null)[];
  private counter = 0;
  /** Names that completed a hello: the REST cases use them as known hypervisors. */
  readonly names: string[] = [];

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly prefix: string,
    size: number,
  ) {
    this.slots = Array.from({ length: size }, () => null);
  }

  nameOf(slot: number): string {
    return `${this.prefix}-${slot}-${this.counter}`;
  }

  /** Sends one case on agent `slot`; an ack that comes neither within 5 s nor with a disconnect is "unanswered". */
  async send(slot: number, build: (name: string) => SocketCase): Promise<SocketOutcome> {
    const agent = await this.agent(slot);
    const socketCase = build(agent.name);
    try {
      if (!socketCase.expectsAck) {
        agent.socket.emit(socketCase.event, ...socketCase.args);
        return agent.socket.connected ? "sent" : this.drop(slot);
      }
      const answer = await sayHello(agent, socketCase.args[0], 5000).catch(() => "unanswered" as const);
      if (answer === "unanswered") return "unanswered";
      return "disconnected" in answer ? this.drop(slot) : "acked";
    } catch {
      return "client refused"; // socket.io-client refuses reserved names ("connect", "disconnect")
    }
  }

  close(): void {
    for (const slot of this.slots)
      void slot?.then(
        (agent) => agent.close(),
        () => undefined,
      );
  }

  private agent(slot: number): Promise<RawAgent> {
    const current = this.slots[slot];
    if (current) {
      return current.then(
        (agent) => (agent.socket.connected ? agent : this.replace(slot)),
        () => this.replace(slot),
      );
    }
    return this.replace(slot);
  }

  private replace(slot: number): Promise<RawAgent> {
    this.counter += 1;
    const name = this.nameOf(slot);
    const connecting = (async () => {
      const agent = await connectAgent(this.url, name, this.token, 5000);
      const answer = await sayHello(agent, helloFor(name), 5000);
      if (!("ok" in answer) || !answer.ok) throw new Error(`a valid hello was refused: ${JSON.stringify(answer)}`);
      this.names.push(name);
      return agent;
    })();
    this.slots[slot] = connecting;
    return connecting;
  }

  private drop(slot: number): SocketOutcome {
    void this.slots[slot]?.then(
      (agent) => agent.close(),
      () => undefined,
    );
    this.slots[slot] = null;
    return "disconnected";
  }
}
