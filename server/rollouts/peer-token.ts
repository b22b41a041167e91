// The peer tier's per-rollout token: derived from the server's secret and the rollout id, so
// every target of the rollout gets the same one (to fetch from peers, and to check who fetches
// from it) and nothing is stored. Only targets of the rollout receive it, over their
// authenticated agent connection.
import crypto from "node:crypto";

export function peerToken(secret: string, rolloutId: string): string {
  return crypto.createHmac("sha256", secret).update(`precache peer tier\0${rolloutId}`).digest("base64url");
}

/** How long a holder serves a rollout's artifact: the node timeout for every attempt, plus an hour. */
export function peerServingUntil(rollout: { createdAt: Date; nodeTimeoutSeconds: number; maxAttempts: number }): number {
  return rollout.createdAt.getTime() + (rollout.nodeTimeoutSeconds * rollout.maxAttempts + 3600) * 1000;
}
