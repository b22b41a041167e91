// The dashboard's live view: a snapshot on connect, then merged deltas from /ui.
"use client";
import type { QueryClient } from "@tanstack/react-query";
import { io, type Socket } from "socket.io-client";
import {
  isNewerCell,
  UI_NAMESPACE,
  uiDelta,
  uiSnapshot,
  type CellView,
  type HypervisorHeader,
  type ServerToUiEvents,
  type UiDelta,
  type UiToServerEvents,
} from "../protocol/ui";
import type { CleanupDetail } from "../protocol/api/cleanup";
import { mergeCleanupDelta } from "./cleanup-merge";
import { checkInDevelopment } from "./dev-check";
import { cleanupKey, imagesKey, type ImageList } from "./queries";

export type LiveHypervisor = HypervisorHeader & { cells: Map<string, CellView> };

export class LiveStore {
  hypervisors = new Map<string, LiveHypervisor>();
  isConnected = false;
  /** The server refused the socket: no valid session. */
  isUnauthorized = false;
  version = 0;
  /** Bumped when hypervisors join or change group, not when states change: what layouts and row orders depend on. */
  membership = 0;
  private listeners = new Set<() => void>();
  private socket: Socket<ServerToUiEvents, UiToServerEvents> | null = null;

  constructor(private readonly queryClient: QueryClient) {}

  connect(): void {
    if (this.socket) return;
    const socket: Socket<ServerToUiEvents, UiToServerEvents> = io(UI_NAMESPACE, {
      withCredentials: true,
      // WebSocket only: one request, so a load balancer without sticky sessions may send it to any server.
      transports: ["websocket"],
    });
    this.socket = socket;
    socket.on("connect", () =>
      this.update(() => {
        this.isConnected = true;
        this.isUnauthorized = false;
      }),
    );
    socket.on("connect_error", (error) => {
      if (socket.active) return; // a network error: socket.io retries by itself
      // Refused by the server's middleware: forget this socket so a later connect() (after sign-in) starts afresh.
      this.socket = null;
      this.update(() => (this.isUnauthorized = /unauthorized/i.test(error.message)));
    });
    socket.on("disconnect", () => this.update(() => (this.isConnected = false)));
    socket.on("state:snapshot", (received) =>
      this.update(() => {
        const snapshot = checkInDevelopment(uiSnapshot, received, "state:snapshot");
        this.hypervisors = new Map(snapshot.hypervisors.map((h) => [h.name, { ...h, cells: new Map(h.cells.map((c) => [c.imageId, c])) }]));
        this.membership += 1;
      }),
    );
    socket.on("state:delta", (delta) => this.applyDelta(checkInDevelopment(uiDelta, delta, "state:delta")));
  }

  /** After a sign-in: the next connect() is expected to be accepted. */
  signedIn(): void {
    this.update(() => (this.isUnauthorized = false));
  }

  disconnect(): void {
    this.socket?.disconnect();
    this.socket = null;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.version;

  private applyDelta(delta: UiDelta): void {
    this.update(() => {
      for (const header of delta.hypervisors) {
        const existing = this.hypervisors.get(header.name);
        if (existing?.group !== header.group) this.membership += 1;
        this.hypervisors.set(header.name, { ...header, cells: existing?.cells ?? new Map() });
      }
      for (const { hypervisor, ...cell } of delta.cells) {
        let row = this.hypervisors.get(hypervisor);
        if (!row) {
          row = { name: hypervisor, group: null, online: true, freeBytes: null, lastSeenAt: new Date().toISOString(), cells: new Map() };
          this.hypervisors.set(hypervisor, row);
          this.membership += 1;
        }
        // Deltas from several servers travel separately: never step back to an older version.
        if (!isNewerCell(cell, row.cells.get(cell.imageId))) continue;
        if (cell.state === "absent") row.cells.delete(cell.imageId);
        else row.cells.set(cell.imageId, cell);
      }
    });
    if (delta.artifacts.length) {
      // The cache holds GET /api/images' whole answer ({ images, source }).
      this.queryClient.setQueryData<ImageList>(
        imagesKey,
        (list) =>
          list && {
            ...list,
            images: list.images.map((image) => {
              const change = delta.artifacts.find((entry) => entry.imageId === image.id);
              return change ? { ...image, artifact: change.artifact } : image;
            }),
          },
      );
    }
    // A rollout's page and the history read aggregates: a changed rollout refreshes them at once,
    // changed cells (bytes, retries, failures) at most once a second.
    if (delta.rollouts.length) {
      void this.queryClient.invalidateQueries({ queryKey: ["rollouts"] });
      void this.queryClient.invalidateQueries({ queryKey: ["rollout"] });
    } else if (delta.cells.length) this.refreshRolloutsSoon();
    // A cleanup's page shows each node's outcome as it arrives, merged into what it read; an
    // ended cleanup is read again (its final counts), and the history at most once a second.
    for (const change of delta.cleanups) {
      this.queryClient.setQueryData<CleanupDetail>(cleanupKey(change.id), (detail) => detail && mergeCleanupDelta(detail, change));
      if (change.state !== "running") void this.queryClient.invalidateQueries({ queryKey: cleanupKey(change.id) });
    }
    if (delta.cleanups.length) this.refreshCleanupsSoon();
  }

  private cleanupsTimer: ReturnType<typeof setTimeout> | null = null;

  private refreshCleanupsSoon(): void {
    if (this.cleanupsTimer) return;
    this.cleanupsTimer = setTimeout(() => {
      this.cleanupsTimer = null;
      void this.queryClient.invalidateQueries({ queryKey: ["cleanups"] });
    }, 1000);
  }

  private refreshTimer: ReturnType<typeof setTimeout> | null = null;

  private refreshRolloutsSoon(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.queryClient.invalidateQueries({ queryKey: ["rollout"] });
    }, 1000);
  }

  private update(change: () => void): void {
    change();
    this.version += 1;
    for (const listener of this.listeners) listener();
  }
}
