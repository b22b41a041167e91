// What an answer to image:delete means for a cleanup: the agent's own answer (checked like
// anything an agent sends), or the hub's OFFLINE / TIMEOUT standing in for one.
import { NodeOutcome } from "../../protocol/api/cleanup.ts";
import { imageDeleteAck } from "../../protocol/events.ts";

export type NodeResult = { outcome: NodeOutcome; freedBytes: number; error: string | null };

export function nodeOutcomeOf(answer: unknown): NodeResult {
  const parsed = imageDeleteAck.safeParse(answer);
  if (!parsed.success)
    return { outcome: NodeOutcome.refused, freedBytes: 0, error: "INVALID_RESULT: the agent's answer to image:delete is malformed" };
  if (parsed.data.ok) {
    const { deleted, freedBytes } = parsed.data.data;
    return deleted
      ? { outcome: NodeOutcome.deleted, freedBytes, error: null }
      : { outcome: NodeOutcome.absent, freedBytes: 0, error: null };
  }
  const { code, message } = parsed.data.error;
  const error = `${code}: ${message}`;
  if (code === "OFFLINE") return { outcome: NodeOutcome.offline, freedBytes: 0, error };
  if (code === "TIMEOUT") return { outcome: NodeOutcome.timeout, freedBytes: 0, error };
  return { outcome: NodeOutcome.refused, freedBytes: 0, error };
}

/** Whether the node no longer holds the image: its cell goes absent. */
export function isGone(outcome: NodeOutcome): boolean {
  return outcome === NodeOutcome.deleted || outcome === NodeOutcome.absent;
}
