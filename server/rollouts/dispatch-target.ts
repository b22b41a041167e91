// Sends one hypervisor its precache command. The target is claimed (downloading) in the
// database first, so a second scheduler tick or a restart never sends it twice. Each claim has
// its number (RolloutTarget.claim, carried by the command): what a late answer changes is
// changed only while that claim is still the target's, and a node recognises a repeat.
import type { ImagePrecache } from "../../protocol/events.ts";
import { CellState, TargetState } from "../../protocol/states.ts";
import type { AppContext } from "../context.ts";
import type { Artifact, Image, Rollout } from "../db/generated/client.ts";
import { artifactUrl } from "../images/image-views.ts";
import { isAppError } from "../errors.ts";
import { KEY_REFUSED, artifactKeyOf, keyHolders } from "../keys/artifact-key-for-targets.ts";
import { downloadPacing } from "./plan-wave.ts";
import { peerServingUntil, peerToken } from "./peer-token.ts";
import { setCell, setCells } from "./set-cell.ts";
import { failOrRetry } from "./target-retry.ts";
import { failPoint } from "../fail-points.ts";

export type DispatchContext = Pick<AppContext, "db" | "agents" | "events" | "log" | "publicUrl" | "secrets">;
export type RolloutWithImage = Rollout & { image: Image & { artifact: Artifact | null } };

/** Errors that mean the bytes were bad: the retry must not be served the same cached copy. */
const DATA_ERRORS = /^(HASH_MISMATCH|DECOMPRESS_FAILED|DECRYPT_FAILED|SIZE_MISMATCH):/;

export function precacheCommand(
  context: Pick<AppContext, "publicUrl" | "secrets">,
  rollout: RolloutWithImage,
  lastError: string | null = null,
  peers: PeerSource[] = [],
  claim?: number,
): ImagePrecache | null {
  const { image } = rollout;
  const artifact = image.artifact;
  if (!artifact?.sha256 || artifact.state !== "ready") return null;
  const hash =
    image.osHashAlgo && image.osHashValue
      ? { algo: image.osHashAlgo, value: image.osHashValue }
      : { algo: "md5", value: image.checksum ?? "" };
  return {
    rolloutId: rollout.id,
    imageId: image.id,
    artifactUrl: artifactUrl(context.publicUrl, { ...artifact, sha256: artifact.sha256 }),
    codec: "gzip",
    compressedSize: artifact.compressedSize === null ? null : Number(artifact.compressedSize),
    imageSize: image.size === null ? null : Number(image.size),
    virtualSize: image.virtualSize === null ? null : Number(image.virtualSize),
    hash: hash as ImagePrecache["hash"],
    ...downloadPacing(rollout),
    refreshCache: lastError !== null && DATA_ERRORS.test(lastError),
    diskFormat: image.diskFormat,
    retryBudgetSeconds: rollout.retryBudgetSeconds,
    sealedKey: null, // added per target by dispatchTargets, only for those that may hold it
    ...peerFields(context, rollout, peers),
    ...(claim === undefined ? {} : { claim }),
  };
}

/** A group member to fetch from: its name and the base URL its agent serves peers on. */
export type PeerSource = { name: string; url: string };

function peerFields(
  context: Pick<AppContext, "secrets">,
  rollout: RolloutWithImage,
  peers: PeerSource[],
): Pick<ImagePrecache, "peers" | "peerToken" | "peerUntil"> {
  if (rollout.source !== "peers") return { peers: [], peerToken: null, peerUntil: null };
  return {
    peers: peers.map((peer) => ({ name: peer.name, url: `${peer.url}/peer/${rollout.id}` })),
    peerToken: peerToken(context.secrets.sessionSecret, rollout.id),
    peerUntil: peerServingUntil(rollout),
  };
}

export type DispatchRequest = { hypervisor: string; proxy: string; lastError: string | null; peers?: PeerSource[] };

export async function dispatchTarget(
  context: DispatchContext,
  rollout: RolloutWithImage,
  hypervisor: string,
  proxy: string,
  lastError: string | null = null,
): Promise<void> {
  await dispatchTargets(context, rollout, [{ hypervisor, proxy, lastError }]);
}

/**
 * dispatchTarget for many hypervisors of one rollout: one claim per proxy and one cell write for
 * all, then a command each. A jitter rollout to 10,000 hypervisors starts in seconds, not minutes.
 */
export async function dispatchTargets(context: DispatchContext, rollout: RolloutWithImage, requests: DispatchRequest[]): Promise<void> {
  const first = precacheCommand(context, rollout);
  if (!first) return;
  let sealedKey: string | null;
  try {
    sealedKey = artifactKeyOf(context, rollout.image.artifact!);
  } catch (error) {
    if (!isAppError(error)) throw error;
    // Nothing can open this artifact (its KEK is gone): fail the targets now, naming the fix.
    context.log.error({ rolloutId: rollout.id, imageId: rollout.imageId, error: error.message }, "artifact key unavailable");
    const failure = { code: error.code, message: error.message };
    for (const request of requests) await failTarget(context, rollout, request.hypervisor, failure, first.imageSize);
    return;
  }
  const now = new Date();
  // One claim per (proxy, first source): the source a node was sent to is how the peer tier
  // counts a holder's uploads and a group's Squid copies.
  const byClaim = new Map<string, { proxy: string; source: string; hypervisors: string[] }>();
  for (const request of requests) {
    const source = request.peers?.length ? `peer:${request.peers[0].name}` : "squid";
    const key = `${request.proxy}\0${source}`;
    const claim = byClaim.get(key) ?? { proxy: request.proxy, source, hypervisors: [] };
    claim.hypervisors.push(request.hypervisor);
    byClaim.set(key, claim);
  }
  const claimed = new Map<string, number>();
  for (const { proxy, source, hypervisors } of byClaim.values()) {
    const rows = await context.db.rolloutTarget.updateManyAndReturn({
      where: { rolloutId: rollout.id, hypervisorName: { in: hypervisors }, state: TargetState.pending },
      data: {
        state: TargetState.downloading,
        proxy,
        source,
        attempts: { increment: 1 },
        claim: { increment: 1 },
        startedAt: now,
        lastProgressAt: now,
        bytes: 0n,
        nextAttemptAt: null,
      },
      select: { hypervisorName: true, claim: true },
    });
    for (const row of rows) claimed.set(row.hypervisorName, row.claim);
  }
  await failPoint("dispatch:claimed");
  const sending = requests.flatMap((request) => {
    const claim = claimed.get(request.hypervisor);
    return claim === undefined ? [] : [{ ...request, claim }];
  });
  await setCells(
    context,
    sending.map((request) => request.hypervisor),
    rollout.imageId,
    { state: CellState.downloading, bytes: 0n, error: null },
    first.imageSize,
  );
  await sendClaimed(context, rollout, sending, sealedKey);
}

/**
 * Sends again, unchanged, the commands of claims nobody has confirmed (a leader that died between
 * claiming and sending, say). The node runs, finishes or has finished a claim once: a repeat is
 * answered from what it knows (agent/handlers/precache-image.ts).
 */
export async function resendClaims(
  context: DispatchContext,
  rollout: RolloutWithImage,
  targets: { hypervisor: string; claim: number; lastError: string | null }[],
): Promise<void> {
  if (!precacheCommand(context, rollout)) return;
  let sealedKey: string | null;
  try {
    sealedKey = artifactKeyOf(context, rollout.image.artifact!);
  } catch (error) {
    if (!isAppError(error)) throw error;
    return; // the next claim fails them, naming the fix (dispatchTargets)
  }
  context.log.warn(
    { rolloutId: rollout.id, nodes: targets.length },
    "claims of a previous leader unconfirmed by their nodes: commands sent again",
  );
  await sendClaimed(context, rollout, targets, sealedKey);
}

/** A command for each claim; only nodes that may hold a sealed artifact's key get it (others fail their attempt). */
async function sendClaimed(
  context: DispatchContext,
  rollout: RolloutWithImage,
  sending: { hypervisor: string; claim: number; lastError: string | null; peers?: PeerSource[] }[],
  sealedKey: string | null,
): Promise<void> {
  const holders = sealedKey
    ? await keyHolders(
        context,
        sending.map((request) => request.hypervisor),
      )
    : null;
  await Promise.all(
    sending.map((request) => {
      const command = precacheCommand(context, rollout, request.lastError, request.peers, request.claim)!;
      if (holders && !holders.has(request.hypervisor)) {
        context.log.warn({ hypervisor: request.hypervisor, rolloutId: rollout.id, imageId: rollout.imageId }, KEY_REFUSED.message);
        return failTarget(context, rollout, request.hypervisor, KEY_REFUSED, command.imageSize);
      }
      return sendCommand(context, rollout, request.hypervisor, { ...command, sealedKey });
    }),
  );
}

/** A target that cannot be sent its command (no key for it, or none at all): a failed attempt, nothing sent. */
async function failTarget(
  context: DispatchContext,
  rollout: RolloutWithImage,
  hypervisor: string,
  error: Parameters<typeof failOrRetry>[3],
  size: number | null,
): Promise<void> {
  const target = await context.db.rolloutTarget.findUnique({
    where: { rolloutId_hypervisorName: { rolloutId: rollout.id, hypervisorName: hypervisor } },
  });
  if (target) await failOrRetry(context, target, rollout, error, 0n, size);
}

/**
 * Sends a claimed target its command. An agent that went away puts it back, a refusal counts as
 * a failed attempt: each only while the target is still this claim's (a later hello may have
 * settled it, and another claim may be in flight by then).
 */
async function sendCommand(context: DispatchContext, rollout: RolloutWithImage, hypervisor: string, command: ImagePrecache): Promise<void> {
  const size = command.imageSize;
  const answer = await context.agents.send(hypervisor, "image:precache", command);
  if (answer.ok) return void (await failPoint("dispatch:acked"));
  const thisClaim = { rolloutId: rollout.id, hypervisorName: hypervisor, claim: command.claim, state: TargetState.downloading };
  if (answer.error.code === "SUPERSEDED") {
    // The node's hello put this claim back before it was delivered: it was never an attempt.
    await context.db.rolloutTarget.updateMany({
      where: { rolloutId: rollout.id, hypervisorName: hypervisor, attempts: { gt: 0 } },
      data: { attempts: { decrement: 1 } },
    });
    return;
  }
  if (answer.error.code === "OFFLINE") {
    // Not an attempt: it waits for the agent to come back.
    const { count } = await context.db.rolloutTarget.updateMany({
      where: thisClaim,
      data: { state: TargetState.pending, attempts: { decrement: 1 } },
    });
    if (count > 0) await setCell(context, hypervisor, rollout.imageId, { state: CellState.pending, bytes: 0n, error: null }, size);
    return;
  }
  context.log.warn({ hypervisor, rolloutId: rollout.id, error: answer.error }, "precache command refused");
  const target = await context.db.rolloutTarget.findFirst({ where: thisClaim });
  if (target) await failOrRetry(context, target, rollout, answer.error, 0n, size);
}
