// Server commands by event name → schema + handler. Every command is refused with NOT_READY
// until the server has accepted our hello: before it the agent does not know the artifact base
// URL, so it could not check what it is asked to fetch.
import type { Ack, ServerToAgentEvents } from "../../protocol/events.ts";
import { toErrorPayload } from "../agent-error.ts";
import { AgentState, type ConnectionState } from "./connection-state.ts";

type Schema<T> = { safeParse(value: unknown): { success: true; data: T } | { success: false; error: { message: string } } };
type Reply<R> = (result: Ack<R>) => void;
type Listener = (payload: unknown, ack?: unknown) => void;
/** The socket.io client surface the registry needs (a fake in unit tests). */
export type CommandSource = { on(event: string, listener: Listener): unknown };

/** Events whose last argument is an ack: the commands. */
type CommandEvent = {
  [E in keyof ServerToAgentEvents]: Parameters<ServerToAgentEvents[E]> extends [unknown, (result: never) => void] ? E : never;
}[keyof ServerToAgentEvents];
type CommandOf<E extends CommandEvent> = Parameters<ServerToAgentEvents[E]>[0];
type ResultOf<E extends CommandEvent> = Parameters<ServerToAgentEvents[E]>[1] extends (result: Ack<infer R>) => void ? R : never;
type NoticeEvent = Exclude<keyof ServerToAgentEvents, CommandEvent>;

export class CommandRegistry {
  private readonly listeners = new Map<string, Listener>();

  constructor(private readonly connection: ConnectionState) {}

  /** A command: refused before the hello, validated, answered with the handler's result or error. */
  command<E extends CommandEvent>(
    event: E,
    schema: Schema<CommandOf<E>>,
    handler: (command: CommandOf<E>) => ResultOf<E> | Promise<ResultOf<E>>,
  ): this {
    return this.add(event, (payload, ack) =>
      this.dispatch(payload, typeof ack === "function" ? (ack as Reply<ResultOf<E>>) : () => undefined, schema, handler),
    );
  }

  /**
   * A notice (no ack) is applied in any state: settings sent while an enrolment's hello answer
   * is still being stored must not be lost.
   */
  notice<E extends NoticeEvent>(
    event: E,
    schema: Schema<Parameters<ServerToAgentEvents[E]>[0]>,
    handler: (notice: Parameters<ServerToAgentEvents[E]>[0]) => void,
  ): this {
    return this.add(event, (payload) => {
      const parsed = schema.safeParse(payload);
      if (parsed.success) handler(parsed.data);
    });
  }

  events(): string[] {
    return [...this.listeners.keys()];
  }

  attach(source: CommandSource): void {
    for (const [event, listener] of this.listeners) source.on(event, listener);
  }

  private add(event: string, listener: Listener): this {
    if (this.listeners.has(event)) throw new Error(`a handler for ${event} is already registered`);
    this.listeners.set(event, listener);
    return this;
  }

  private dispatch<T, R>(payload: unknown, reply: Reply<R>, schema: Schema<T>, handler: (command: T) => R | Promise<R>): void {
    if (!this.connection.is(AgentState.ready)) {
      return reply({ ok: false, error: { code: "NOT_READY", message: `agent is ${this.connection.state}` } });
    }
    const parsed = schema.safeParse(payload);
    if (!parsed.success) return reply({ ok: false, error: { code: "INVALID_COMMAND", message: parsed.error.message } });
    Promise.resolve()
      .then(() => handler(parsed.data))
      .then(
        (data) => reply({ ok: true, data }),
        (error) => reply({ ok: false, error: toErrorPayload(error) }),
      );
  }
}
