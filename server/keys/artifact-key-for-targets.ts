// The one place an artifact key leaves the server: into the precache command of a rollout target
// that is enrolled and not revoked, over its authenticated agent socket. Revocation is checked in
// the database at send time, not only by dropping the socket, because another server process
// sharing the database notices a revoke only at its next sweep.
import type { AppContext } from "../context.ts";
import type { Artifact } from "../db/generated/client.ts";
import { AppError } from "../errors.ts";

export type TargetKey = { key: string; holders: Set<string> };

/** null for a plain artifact; else the key (base64) and which of `hypervisors` may be sent it. */
export async function artifactKeyForTargets(
  context: Pick<AppContext, "db" | "secrets">,
  artifact: Artifact,
  hypervisors: string[],
): Promise<TargetKey | null> {
  if (!artifact.encrypted) return null;
  if (!artifact.sha256 || !artifact.wrappedKey || !artifact.keyId) {
    throw new AppError("KEY_UNAVAILABLE", `sealed artifact of image ${artifact.imageId} has no stored key: publish it again`);
  }
  const key = context.secrets.artifactKeys.unwrap({ keyId: artifact.keyId, wrappedKey: artifact.wrappedKey }, artifact.sha256);
  const trusted = await context.db.agentCredential.findMany({
    where: { hypervisorName: { in: hypervisors }, revokedAt: null },
    select: { hypervisorName: true },
  });
  return { key: key.toString("base64"), holders: new Set(trusted.map((row) => row.hypervisorName)) };
}

export const KEY_REFUSED = {
  code: "KEY_REFUSED",
  message: "the image is private and this node is not enrolled or its credential is revoked: no key sent",
};
