// What one server must tell the others sharing its database, over the Socket.io adapter
// (io.serverSideEmit): the domain changes that others react to (their read caches, the leader's
// scheduler, their agents' settings), each dashboard delta (so every browser and every server's
// snapshot sees every agent, whichever server it is connected to), and revoked sessions and
// tokens (so their sockets close everywhere at once). Messages come from the adapter's channel:
// they are checked like any input before use.
import type { Logger } from "pino";
import type { Server } from "socket.io";
import { z } from "zod";
import { type UiDelta, uiDelta } from "../../protocol/ui.ts";
import type { Access } from "../auth/access.ts";
import type { DomainEventMap, DomainEvents } from "../events/domain-events.ts";
import type { UiHub } from "../realtime/ui-hub.ts";

/** Rare changes others react to; cells, nodes and artifacts travel inside the merged deltas. */
const RELAYED = ["rolloutChanged", "targetsChanged", "imagesChanged", "topologyChanged"] as const;
type Relayed = (typeof RELAYED)[number];

const DOMAIN = "precache:domain";
const DELTA = "precache:ui-delta";
const REVOKED = "precache:revoked";

const domainMessage = z.discriminatedUnion("name", [
  z.object({
    name: z.literal("rolloutChanged"),
    event: z.object({ rolloutId: z.string().max(64), state: z.string().max(32) }),
  }),
  z.object({ name: z.literal("targetsChanged"), event: z.object({}) }),
  z.object({ name: z.literal("imagesChanged"), event: z.object({}) }),
  z.object({ name: z.literal("topologyChanged"), event: z.object({}) }),
]);
const revokedMessage = z.object({ kind: z.enum(["sessions", "tokens"]), ids: z.array(z.string().max(128)).max(100_000) });

export type ClusterRelayParts = {
  io: Server;
  events: Pick<DomainEvents, "subscribe" | "publishFromPeer">;
  ui: Pick<UiHub, "onFlush" | "applyPeerDelta">;
  access: Pick<Access, "sessions" | "tokens">;
  log: Logger;
  /** How many servers share the database now, this one included. */
  countServers(): Promise<number>;
};

/** Wires the relay both ways; returns the unsubscribe for shutdown. */
export function startClusterRelay({ io, events, ui, access, log, countServers }: ClusterRelayParts): () => void {
  let isApplyingPeer = false;
  // A server alone (one Postgres, one server) sends nothing: with the Postgres adapter each
  // dashboard delta would otherwise be written to the database for nobody. Known from the
  // database (a new server writes its row before it listens), not from the adapter's heartbeats,
  // which learn of a new server only seconds later.
  let peers = { count: 0, readAt: 0 };
  const hasPeers = async () => {
    if (Date.now() - peers.readAt > 1000) peers = { count: (await countServers()) - 1, readAt: Date.now() };
    return peers.count > 0;
  };
  const unsubscribe = [
    ...RELAYED.map((name) => events.subscribe(name, (event: DomainEventMap[Relayed]) => io.serverSideEmit(DOMAIN, { name, event }))),
    ui.onFlush(
      (delta: UiDelta) =>
        void hasPeers()
          .then((isShared) => isShared && io.serverSideEmit(DELTA, delta))
          .catch((error: Error) => log.warn({ error: error.message }, "dashboard delta not relayed")),
    ),
    access.sessions.onRevoked((ids) => isApplyingPeer || io.serverSideEmit(REVOKED, { kind: "sessions", ids })),
    access.tokens.onRevoked((ids) => isApplyingPeer || io.serverSideEmit(REVOKED, { kind: "tokens", ids })),
  ];
  const ignore = (kind: string) => log.warn({ kind }, "malformed cluster message ignored");

  io.on(DOMAIN, (message: unknown) => {
    const parsed = domainMessage.safeParse(message);
    if (!parsed.success) return ignore(DOMAIN);
    events.publishFromPeer(parsed.data.name, parsed.data.event as DomainEventMap[Relayed] & never);
  });
  io.on(DELTA, (message: unknown) => {
    const parsed = uiDelta.safeParse(message);
    if (!parsed.success) return ignore(DELTA);
    ui.applyPeerDelta(parsed.data);
  });
  io.on(REVOKED, (message: unknown) => {
    const parsed = revokedMessage.safeParse(message);
    if (!parsed.success) return ignore(REVOKED);
    isApplyingPeer = true;
    try {
      access[parsed.data.kind].revokedElsewhere(parsed.data.ids);
    } finally {
      isApplyingPeer = false;
    }
  });
  return () => {
    for (const stop of unsubscribe) stop();
    io.removeAllListeners(DOMAIN);
    io.removeAllListeners(DELTA);
    io.removeAllListeners(REVOKED);
  };
}
