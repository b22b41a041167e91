// image:precache: accept at once, then jitter → placeImage → download:finished.
// A second command for an image already in flight joins it instead of starting again; a repeat
// of a claim this agent already finished is answered with that outcome again, never a second
// download. Only artifact URLs under the base the server announced are accepted (INVALID_COMMAND
// otherwise).
import { setTimeout as sleep } from "node:timers/promises";
import { AgentError, toErrorPayload } from "../agent-error.ts";
import { assertArtifactUrl } from "../download/artifact-url.ts";
import { placeImage } from "../download/place-image.ts";
import type { ErrorPayload, ImagePrecache } from "../../protocol/events.ts";
import type { AgentContext, FinishedClaim } from "./agent-context.ts";

/** Outcomes remembered for repeats: one per rollout and image, the oldest forgotten first. */
const FINISHED_CLAIMS_MAX = 1000;

export function precacheImage(agent: AgentContext, command: ImagePrecache): { accepted: true } {
  assertArtifactUrl(command.artifactUrl, agent.artifactBaseUrl()); // refused before anything is fetched
  const running = agent.downloads.get(command.imageId);
  const key = `${command.rolloutId}|${command.imageId}`;
  const finished = agent.finishedClaims.get(key);
  if (running?.rolloutIds.has(command.rolloutId)) {
    // The server's newer claim is this download too: its end answers a repeat of that claim.
    if (command.claim !== undefined)
      running.claims.set(command.rolloutId, Math.max(command.claim, running.claims.get(command.rolloutId) ?? 0));
    agent.log.info({ imageId: command.imageId, rolloutId: command.rolloutId, claim: command.claim }, "precache repeated: already running");
    return { accepted: true };
  }
  if (!running && finished && command.claim !== undefined && command.claim <= finished.claim) {
    // The server did not hear how it ended (its leader changed, say): tell it again.
    agent.log.info({ imageId: command.imageId, rolloutId: command.rolloutId, claim: command.claim }, "precache repeated: already finished");
    void agent.reportResult({ ...finished.result, rolloutId: command.rolloutId });
    return { accepted: true };
  }
  agent.log.info(
    { imageId: command.imageId, rolloutId: command.rolloutId, claim: command.claim, isJoining: Boolean(running) },
    "precache requested",
  );
  if (running) {
    running.rolloutIds.add(command.rolloutId);
    if (command.claim !== undefined) running.claims.set(command.rolloutId, command.claim);
    return { accepted: true };
  }
  const controller = new AbortController();
  const claims = new Map(command.claim === undefined ? [] : [[command.rolloutId, command.claim]]);
  const download = { rolloutIds: new Set([command.rolloutId]), claims, bytes: 0, controller };
  const started = performance.now();
  agent.downloads.set(command.imageId, download);
  void run();
  return { accepted: true };

  async function run() {
    let lastReport = 0;
    const peer = agent.peer?.download(command) ?? null;
    try {
      await startDelay(Math.floor(Math.random() * command.jitterMs), controller.signal);
      const placed = await placeImage({
        imageId: command.imageId,
        artifactUrl: command.artifactUrl,
        hash: command.hash,
        cacheDir: agent.config.cacheDir,
        proxies: agent.proxies(),
        allowDirect: agent.config.allowDirect,
        imageSize: command.imageSize,
        compressedSize: command.compressedSize,
        virtualSize: command.virtualSize,
        bandwidthBytesPerSecond: command.bandwidthBytesPerSecond,
        refreshCache: command.refreshCache,
        diskFormat: command.diskFormat,
        forceRawImages: agent.config.forceRawImages,
        retryBudgetSeconds: command.retryBudgetSeconds,
        sealedKey: command.sealedKey,
        signal: controller.signal,
        ...(peer ? { peers: peer.peers, onSourceBytes: peer.onSourceBytes, onCompressedChunk: peer.onCompressedChunk } : {}),
        onProgress(bytes) {
          download.bytes = bytes;
          const now = performance.now();
          if (now - lastReport < agent.config.progressIntervalMs) return;
          lastReport = now;
          for (const rolloutId of download.rolloutIds) {
            agent.emit("download:progress", { rolloutId, imageId: command.imageId, bytes, totalBytes: command.imageSize });
          }
        },
        onRoute: (route, offset) => agent.log.info({ imageId: command.imageId, route, offset }, "fetching artifact"),
      });
      agent.log.info(
        { imageId: command.imageId, bytes: placed.bytes, seconds: placed.seconds, convertedFrom: placed.convertedFrom },
        "image placed",
      );
      await peer?.settle(true);
      await finish({ ok: true, bytes: placed.bytes, ...(peer ? { sources: peer.sources() } : {}) });
    } catch (error) {
      const payload = toErrorPayload(error);
      // The full error goes to the server with the result, and the server logs it once (warn, with the
      // rollout and attempt); here the code only, so an agent inside the server (npm start) does not
      // print the same long error again. The whole payload is at debug for an agent's own host.
      agent.log.warn({ imageId: command.imageId, code: payload.code }, "precache failed (reason sent to the server)");
      agent.log.debug({ imageId: command.imageId, error: payload }, "precache failure in full");
      await peer?.settle(false);
      await finish({ ok: false, bytes: download.bytes, error: payload, ...(peer ? { sources: peer.sources() } : {}) });
    } finally {
      agent.downloads.delete(command.imageId);
      await agent.reportInventory();
    }
  }

  /** Into the outbox (stored) before the download leaves `downloads`, so a hello always lists it somewhere. */
  async function finish(result: { ok: boolean; bytes: number; error?: ErrorPayload; sources?: { source: string; bytes: number }[] }) {
    const seconds = (performance.now() - started) / 1000;
    for (const rolloutId of download.rolloutIds) {
      const claim = download.claims.get(rolloutId);
      if (claim !== undefined)
        rememberFinished(agent.finishedClaims, `${rolloutId}|${command.imageId}`, {
          claim,
          result: { imageId: command.imageId, seconds, ...result },
        });
      await agent.reportResult({ rolloutId, imageId: command.imageId, seconds, ...result });
    }
  }
}

/** The start delay spreads a fleet's requests; an abort during it ends the download before any byte. */
async function startDelay(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return;
  await sleep(ms, undefined, { signal }).catch(() => {
    throw new AgentError("ABORTED", "download aborted during start delay");
  });
}

function rememberFinished(claims: Map<string, FinishedClaim>, key: string, finished: FinishedClaim): void {
  claims.delete(key);
  claims.set(key, finished);
  if (claims.size > FINISHED_CLAIMS_MAX) claims.delete(claims.keys().next().value!);
}
