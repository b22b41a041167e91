// Per-node agent credentials: 32 random bytes the agent keeps, of which the server keeps only sha256.
import crypto from "node:crypto";

export function newAgentSecret(): { secret: string; secretHash: string } {
  const secret = crypto.randomBytes(32).toString("base64url");
  return { secret, secretHash: hashAgentSecret(secret) };
}

export function hashAgentSecret(secret: string): string {
  return crypto.createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function matchesSecretHash(secret: string, secretHash: string): boolean {
  const presented = Buffer.from(hashAgentSecret(secret), "hex");
  const stored = Buffer.from(secretHash, "hex");
  return presented.length === stored.length && crypto.timingSafeEqual(presented, stored);
}
