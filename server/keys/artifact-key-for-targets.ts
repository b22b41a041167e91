// The one place an artifact key leaves the server: into the precache command of a rollout target
// that is enrolled and not revoked, over its authenticated agent socket. Revocation is checked in
// the database at send time, not only by dropping the socket, because another server process
// sharing the database notices a revoke only at its next sweep.
import type { Artifact } from "../db/generated/client.ts";
import type { Db } from "../db/open-database.ts";
import { AppError } from "../errors.ts";
import type { ArtifactKeyRing } from "./artifact-key-ring.ts";

/** The key (base64) of a sealed artifact, null for a plain one; KEY_UNAVAILABLE if it cannot be unwrapped. */
export function artifactKeyOf(context: { secrets: { artifactKeys: ArtifactKeyRing } }, artifact: Artifact): string | null {
  if (!artifact.encrypted) return null;
  if (!artifact.sha256 || !artifact.wrappedKey || !artifact.keyId) {
    throw new AppError("KEY_UNAVAILABLE", `sealed artifact of image ${artifact.imageId} has no stored key: publish it again`);
  }
  return context.secrets.artifactKeys
    .unwrap({ keyId: artifact.keyId, wrappedKey: artifact.wrappedKey }, artifact.sha256)
    .toString("base64");
}

/** Which of `hypervisors` may be sent a key right now: enrolled, credential not revoked. */
export async function keyHolders(context: { db: Db }, hypervisors: string[]): Promise<Set<string>> {
  const trusted = await context.db.agentCredential.findMany({
    where: { hypervisorName: { in: hypervisors }, revokedAt: null },
    select: { hypervisorName: true },
  });
  return new Set(trusted.map((row) => row.hypervisorName));
}

export const KEY_REFUSED = {
  code: "KEY_REFUSED" as const,
  message: "the image is private and this node is not enrolled or its credential is revoked: no key sent",
};

/**
 * The key for one node, unwrapped by the server that delivers the command (a command relayed
 * from the leader travels without its key): only for an enrolled node, and only if the sealed
 * artifact is still the one the command names.
 */
export async function keyForNode(
  context: { db: Db; secrets: { artifactKeys: ArtifactKeyRing } },
  name: string,
  imageId: string,
  artifactUrl: string,
): Promise<{ ok: true; key: string } | { ok: false; error: { code: string; message: string } }> {
  const artifact = await context.db.artifact.findUnique({ where: { imageId } });
  if (!artifact?.encrypted || !artifact.sha256 || !artifactUrl.includes(artifact.sha256)) {
    return { ok: false, error: { code: "KEY_UNAVAILABLE", message: `the sealed artifact of image ${imageId} changed: dispatch again` } };
  }
  if (!(await keyHolders(context, [name])).has(name)) return { ok: false, error: KEY_REFUSED };
  try {
    return { ok: true, key: artifactKeyOf(context, artifact)! };
  } catch (error) {
    return { ok: false, error: { code: "KEY_UNAVAILABLE", message: (error as Error).message } };
  }
}
