// The /ui namespace: operators only; a full snapshot on connect, then merged deltas flushed
// a few times a second, so 1300 agents reporting never become 1300 browser messages.
import type { Logger } from "pino";
import type { Namespace, Server } from "socket.io";
import type { ArtifactView } from "../../protocol/api/images.ts";
import type { RolloutState } from "../../protocol/states.ts";
import {
  UI_NAMESPACE,
  type CellView,
  type CleanupDelta,
  type HypervisorHeader,
  type ServerToUiEvents,
  type UiDelta,
  type UiSnapshot,
  type UiToServerEvents,
} from "../../protocol/ui.ts";
import type { Access } from "../auth/access.ts";
import { authenticateUiSocket } from "../auth/authenticate-socket.ts";
import type { Secrets } from "../secrets.ts";
import { LiveSnapshot } from "./live-snapshot.ts";

const FLUSH_MS = 250;

export class UiHub {
  private namespace: Namespace<UiToServerEvents, ServerToUiEvents> | null = null;
  private hypervisors = new Map<string, HypervisorHeader>();
  private cells = new Map<string, CellView & { hypervisor: string }>();
  private artifacts = new Map<string, ArtifactView>();
  private rollouts = new Map<string, RolloutState>();
  private cleanups = new Map<string, CleanupDelta>();
  private timer: NodeJS.Timeout | null = null;
  private snapshot: LiveSnapshot | null = null;
  private readonly flushListeners = new Set<(delta: UiDelta) => void>();

  constructor(
    private readonly log: Logger,
    private readonly auth: { secrets: Secrets; access: Access },
  ) {
    // Logout, revocation, a role change or a disabled account ends that session's sockets at once.
    auth.access.sessions.onRevoked((ids) => this.disconnectWhere((data) => data.sessionId !== undefined && ids.includes(data.sessionId)));
    auth.access.tokens.onRevoked((ids) => this.disconnectWhere((data) => data.tokenId !== undefined && ids.includes(data.tokenId)));
  }

  attach(io: Server, readSnapshot: () => Promise<UiSnapshot>): void {
    const snapshot = new LiveSnapshot(readSnapshot);
    this.snapshot = snapshot;
    snapshot
      .warm()
      .catch((error: Error) => this.log.warn({ error: error.message }, "first snapshot read failed; retried on the first dashboard"));
    const namespace = io.of(UI_NAMESPACE) as unknown as Namespace<UiToServerEvents, ServerToUiEvents>;
    this.namespace = namespace;
    namespace.use((socket, next) => {
      const { headers, auth, address, secure } = socket.handshake;
      authenticateUiSocket(this.auth, { headers, auth, address, secure }).then(
        (verdict) => {
          if (!verdict.ok) {
            this.log.warn({ address, origin: headers.origin ?? null }, `/ui socket refused: ${verdict.message}`);
            return next(new Error(verdict.message));
          }
          socket.data.sessionId = verdict.actor.sessionId;
          socket.data.tokenId = verdict.actor.tokenId;
          next();
        },
        (error: Error) => next(new Error(`unauthorized: ${error.message}`)),
      );
    });
    namespace.on("connection", (socket) => {
      snapshot.get().then(
        (state) => socket.emit("state:snapshot", state),
        (error: Error) => this.log.error({ error: error.message }, "snapshot failed"),
      );
    });
  }

  hypervisorChanged(view: HypervisorHeader): void {
    this.hypervisors.set(view.name, view);
    this.schedule();
  }

  cellChanged(hypervisor: string, cell: CellView): void {
    this.cells.set(`${hypervisor}\u0000${cell.imageId}`, { hypervisor, ...cell });
    this.schedule();
  }

  artifactChanged(imageId: string, artifact: ArtifactView): void {
    this.artifacts.set(imageId, artifact);
    this.schedule();
  }

  rolloutChanged(id: string, state: RolloutState): void {
    this.rollouts.set(id, state);
    this.schedule();
  }

  /** Merged per cleanup: the latest state and artifact step, each node's latest outcome. */
  cleanupChanged(change: CleanupDelta): void {
    const merged = this.cleanups.get(change.id);
    if (!merged) this.cleanups.set(change.id, { ...change, nodes: [...change.nodes] });
    else {
      const nodes = new Map(merged.nodes.map((node) => [node.name, node]));
      for (const node of change.nodes) nodes.set(node.name, node);
      this.cleanups.set(change.id, { ...change, nodes: [...nodes.values()], artifact: change.artifact ?? merged.artifact });
    }
    this.schedule();
  }

  /** Hears each delta this server flushes (the cluster relay sends it to the other servers). */
  onFlush(listener: (delta: UiDelta) => void): () => void {
    this.flushListeners.add(listener);
    return () => this.flushListeners.delete(listener);
  }

  /** Another server's delta: its agents' progress, for this server's browsers and snapshot. */
  applyPeerDelta(delta: UiDelta): void {
    this.snapshot?.apply(delta);
    this.namespace?.local.emit("state:delta", delta);
  }

  private disconnectWhere(matches: (data: { sessionId?: string; tokenId?: string }) => boolean): void {
    for (const socket of this.namespace?.sockets.values() ?? []) {
      if (matches(socket.data as { sessionId?: string; tokenId?: string })) socket.disconnect(true);
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer || !this.namespace) return;
    this.timer = setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    this.timer = null;
    const delta: UiDelta = {
      hypervisors: [...this.hypervisors.values()],
      cells: [...this.cells.values()],
      artifacts: [...this.artifacts].map(([imageId, artifact]) => ({ imageId, artifact })),
      rollouts: [...this.rollouts].map(([id, state]) => ({ id, state })),
      cleanups: [...this.cleanups.values()],
    };
    this.hypervisors.clear();
    this.cells.clear();
    this.artifacts.clear();
    this.rollouts.clear();
    this.cleanups.clear();
    this.snapshot?.apply(delta);
    // Only this server's browsers: other servers get the delta from the relay and send it to theirs.
    this.namespace?.local.emit("state:delta", delta);
    for (const listener of this.flushListeners) listener(delta);
  }
}
