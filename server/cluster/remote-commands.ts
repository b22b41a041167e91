// Commands for agents connected to other servers sharing the database, batched: every send made
// in one turn of the event loop (a dispatch chunk of hundreds) travels as one server-to-server
// message, each server delivers those for its own agents and answers with their acks. One
// adapter message per chunk instead of a broadcast-with-ack per agent (three NOTIFYs each with
// the Postgres adapter): the control-cluster bench took 52 s to command 9,000 remote agents.
// An artifact key never crosses the adapter's channel (Postgres or Redis): a sealed command goes
// without it, and the delivering server unwraps it itself, for an enrolled node only.
import type { Server } from "socket.io";
import { z } from "zod";
import type { AckOf, AgentCommand, ServerToAgentEvents } from "../../protocol/events.ts";

const COMMANDS = "precache:commands";
/** Items per message: bounded messages, and a slow server only holds up its own share. */
const BATCH = 500;
/**
 * The adapters wait 5 s for other servers' answers (socket.io-adapter's fixed timeout for
 * server-side acks; the Redis adapter's requestsTimeout is set to match): receivers give their
 * agents less, so a batch is answered in time even when one agent is slow.
 */
const LOCAL_ACK_MS = 4000;

type Payload<E extends AgentCommand> = Parameters<ServerToAgentEvents[E]>[0];
type Item = { event: AgentCommand; name: string; payload: Record<string, unknown>; isSealed: boolean };
type Queued = Item & { resolve(ack: AckOf<AgentCommand>): void };
type Answer = [index: number, ack: AckOf<AgentCommand>];

const batchMessage = z.object({
  items: z
    .array(
      z.object({
        event: z.enum(["image:precache", "image:delete", "image:abort"]),
        name: z.string().min(1).max(253),
        payload: z.record(z.string(), z.unknown()),
        isSealed: z.boolean(),
      }),
    )
    .max(BATCH),
});

export type LocalDelivery = {
  /** Whether this server holds the agent's connection. */
  holds(name: string): boolean;
  /** Sends to a local agent and returns its ack (or an error ack once `timeoutMs` passed). */
  deliver(name: string, event: AgentCommand, payload: unknown, timeoutMs: number): Promise<AckOf<AgentCommand>>;
  /** The key of the image's sealed artifact, if `name` may have it (enrolled, not revoked); else why not. */
  keyFor(
    name: string,
    imageId: string,
    artifactUrl: string,
  ): Promise<{ ok: true; key: string } | { ok: false; error: { code: string; message: string } }>;
};

export class RemoteCommands {
  private queue: Queued[] = [];
  private isScheduled = false;

  constructor(
    private readonly io: Server,
    private readonly local: LocalDelivery,
  ) {
    io.on(COMMANDS, (message: unknown, reply: unknown) => {
      if (typeof reply !== "function") return;
      const parsed = batchMessage.safeParse(message);
      if (!parsed.success) return reply([]);
      void this.deliverHeld(parsed.data.items).then(reply as (answers: Answer[]) => void);
    });
  }

  send<E extends AgentCommand>(name: string, event: E, payload: Payload<E>): Promise<AckOf<E>> {
    const { sealedKey, ...rest } = payload as Record<string, unknown>;
    return new Promise((resolve) => {
      this.queue.push({ event, name, payload: rest, isSealed: typeof sealedKey === "string", resolve: resolve as Queued["resolve"] });
      if (this.isScheduled) return;
      this.isScheduled = true;
      setImmediate(() => {
        this.isScheduled = false;
        const queued = this.queue;
        this.queue = [];
        for (let start = 0; start < queued.length; start += BATCH) void this.flush(queued.slice(start, start + BATCH));
      });
    });
  }

  stop(): void {
    this.io.removeAllListeners(COMMANDS);
  }

  private async flush(batch: Queued[]): Promise<void> {
    let replies: Answer[][];
    try {
      replies = await this.io.serverSideEmitWithAck(COMMANDS, { items: batch.map(({ resolve: _, ...item }) => item) });
    } catch (error) {
      // A server that died is still counted by the adapter for a few seconds: keep what the others answered.
      replies = (error as { responses?: Answer[][] }).responses ?? [];
    }
    const answers = new Map<number, AckOf<AgentCommand>>();
    // Two servers may answer one item (the node moved between them): an ok from either stands.
    for (const reply of replies)
      for (const [index, ack] of Array.isArray(reply) ? reply : []) if (!answers.get(index)?.ok) answers.set(index, ack);
    batch.forEach((item, index) => {
      item.resolve(
        answers.get(index) ?? {
          ok: false,
          error: { code: "OFFLINE", message: `no server holding hypervisor ${item.name} answered ${item.event}` },
        },
      );
    });
  }

  private async deliverHeld(items: z.infer<typeof batchMessage>["items"]): Promise<Answer[]> {
    const answers = await Promise.all(
      items.map(async (item, index): Promise<Answer | null> => {
        if (!this.local.holds(item.name)) return null;
        let payload: Record<string, unknown> = item.payload;
        if (item.isSealed) {
          const key = await this.local.keyFor(item.name, String(item.payload.imageId), String(item.payload.artifactUrl));
          if (!key.ok) return [index, { ok: false, error: key.error } as AckOf<AgentCommand>];
          payload = { ...payload, sealedKey: key.key };
        }
        return [index, await this.local.deliver(item.name, item.event, payload, LOCAL_ACK_MS)];
      }),
    );
    return answers.filter((answer): answer is Answer => answer !== null);
  }
}
