// How a rollout target reads on the rollout page: "retrying 2/3: FETCH_FAILED: …".
import type { RolloutTargetRow as RolloutTargetView } from "../protocol/api/rollouts";

/** "retrying 2/3" for a pending node after a failed attempt, else its state with the attempt count. */
export function targetLabel(target: Pick<RolloutTargetView, "state" | "attempts" | "error">, maxAttempts: number): string {
  if (target.state === "pending" && target.attempts > 0)
    return `retrying ${target.attempts}/${maxAttempts}${target.error ? `: ${shortReason(target.error)}` : ""}`;
  if (target.state === "failed") return `failed after ${target.attempts}`;
  if (target.state === "downloading" && target.attempts > 1) return `downloading (attempt ${target.attempts}/${maxAttempts})`;
  return target.state;
}

/** "FETCH_FAILED: connect ECONNREFUSED 10.0.0.1:3128 …" → its first 60 characters. */
export function shortReason(text: string): string {
  const line = text.split("\n")[0];
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}
