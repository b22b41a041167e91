// The agent's peer tier in one place: the spool and the peer server it runs when started with
// --peer-listen, and what one download needs from it (peers to try first, a copy of the bytes
// for the group, the grant to serve them once verified).
import path from "node:path";
import type { Logger } from "pino";
import type { ImagePrecache } from "../../protocol/events.ts";
import { ArtifactSpool } from "./artifact-spool.ts";
import { PeerServer } from "./peer-server.ts";

export type PeerTierConfig = {
  /** host:port to serve peers on (the node's address on the group's network). */
  listen: string;
  spoolDir: string;
  spoolBytes: number;
  /** Upload cap, so serving peers never starves the node's own VMs. */
  uploadBytesPerSecond: number | null;
};

/** What one download adds to placeImage, and what it reports. */
export type PeerDownload = {
  peers: { name: string; url: string; token: string }[];
  onSourceBytes(source: string, bytes: number): void;
  onCompressedChunk?: (chunk: Buffer) => void;
  sources(): { source: string; bytes: number }[];
  /** After the outcome: keep and serve the copy (verified), or drop it. */
  settle(isVerified: boolean): Promise<void>;
};

export class PeerTier {
  private constructor(
    readonly url: string,
    private readonly spool: ArtifactSpool,
    private readonly server: PeerServer,
    private readonly log: Logger,
  ) {}

  static async start(config: PeerTierConfig, log: Logger): Promise<PeerTier> {
    const match = /^(.+):(\d{1,5})$/.exec(config.listen);
    if (!match) throw new Error(`invalid --peer-listen "${config.listen}": expected address:port, e.g. 10.1.2.3:9494`);
    const spool = new ArtifactSpool(path.resolve(config.spoolDir), config.spoolBytes);
    const server = new PeerServer({ spool, bytesPerSecond: config.uploadBytesPerSecond });
    const url = await server.listen(match[1].replace(/^\[|\]$/g, ""), Number(match[2]));
    log.info({ peerUrl: url, spool: spool.dir }, "serving artifacts to peers of the group");
    return new PeerTier(url, spool, server, log);
  }

  /** For a command of a peer-tier rollout (it carries the rollout's token); null otherwise. */
  download(command: ImagePrecache): PeerDownload | null {
    const { peerToken, peerUntil } = command;
    if (!peerToken || !peerUntil) return null;
    const key = command.imageId;
    const counted = new Map<string, number>();
    const writer = this.spool.writer(key, command.compressedSize);
    return {
      peers: command.peers.map((peer) => ({ ...peer, token: peerToken })),
      onSourceBytes: (source, bytes) => counted.set(source, (counted.get(source) ?? 0) + bytes),
      onCompressedChunk: (chunk) => writer.write(chunk),
      sources: () => [...counted].map(([source, bytes]) => ({ source, bytes })).slice(0, 16),
      settle: async (isVerified) => {
        if (!isVerified) return writer.discard();
        const kept = await writer.commit();
        if (!kept) return;
        this.server.grant({ rolloutId: command.rolloutId, key, token: peerToken, expiresAt: peerUntil });
        this.log.info({ imageId: command.imageId, rolloutId: command.rolloutId, bytes: kept.size }, "holding the artifact for peers");
      },
    };
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}
