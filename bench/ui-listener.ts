// The browser side of the control benchmark: a /ui client in a worker thread that times
// agent → browser latency from the progress values the simulated agents send.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { sleep } from "./bench-support.ts";
import { TOKENS } from "./bench-server.ts";

export type UiReport = {
  latencies: number[];
  /** The latencies of agents not named with `localPrefix` (connected to another server): relayed. */
  relayed: number[];
  deltas: number;
  cells: number;
  firstDeltaAt: number;
  lastDeltaAt: number;
  /**
   * Cells older than one already received: progress back to 0 (a dispatch's "downloading, 0 bytes"
   * after the agent's first progress), progress going back, downloading after done.
   */
  outOfOrder: { toZero: number; back: number; afterDone: number };
  /** [received at, worst latency in that delta] per delta. */
  worst: [number, number][];
};
export type UiListener = { rolloutStates: Map<string, string>; report(): Promise<UiReport>; stop(): Promise<void> };

// A worker thread, so 10,000 agent sockets on the main thread do not delay its clock readings.
const UI_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { io } = require(workerData.client);
const report = { latencies: [], relayed: [], outOfOrder: { toZero: 0, back: 0, afterDone: 0 }, deltas: 0, cells: 0, firstDeltaAt: 0, lastDeltaAt: 0, worst: [] };
const lastCells = new Map();
const socket = io(workerData.url + "/ui", { auth: { token: workerData.token }, transports: ["websocket"], forceNew: true });
socket.on("state:snapshot", (snapshot) => parentPort.postMessage({ type: "snapshot", hypervisors: snapshot.hypervisors.length }));
socket.on("connect_error", (error) => parentPort.postMessage({ type: "error", message: error.message }));
socket.on("state:delta", (delta) => {
  const now = Date.now();
  report.deltas += 1;
  report.cells += delta.cells.length;
  report.firstDeltaAt ||= now;
  report.lastDeltaAt = now;
  let worst = 0;
  for (const cell of delta.cells) {
    const key = cell.hypervisor + " " + cell.imageId;
    const last = lastCells.get(key);
    if (last && cell.state === "downloading") {
      if (last.state === "done") report.outOfOrder.afterDone += 1;
      else if (last.state === "downloading" && cell.bytes < last.bytes) report.outOfOrder[cell.bytes === 0 ? "toZero" : "back"] += 1;
    }
    lastCells.set(key, { state: cell.state, bytes: cell.bytes });
  }
  if (workerData.t0) for (const cell of delta.cells) if (cell.state === "downloading" && cell.bytes > 0) {
    const latency = now - (workerData.t0 + cell.bytes);
    report.latencies.push(latency);
    if (workerData.localPrefix && !cell.hypervisor.startsWith(workerData.localPrefix)) report.relayed.push(latency);
    worst = Math.max(worst, latency);
  }
  report.worst.push([now, worst]);
  for (const rollout of delta.rollouts) parentPort.postMessage({ type: "rollout", id: rollout.id, state: rollout.state });
});
parentPort.on("message", (message) => {
  if (message === "report") parentPort.postMessage({ type: "report", report });
  if (message === "stop") { socket.disconnect(); parentPort.close(); }
});
`;

/**
 * A /ui client like the dashboard's; with `t0`, progress bytes are send times and it times them.
 * With `localPrefix`, the latencies of agents named otherwise are also reported apart (`relayed`).
 */
export async function startUiListener(url: string, t0: number | null, localPrefix?: string): Promise<UiListener> {
  const client = createRequire(import.meta.url).resolve("socket.io-client");
  const worker = new Worker(UI_WORKER, {
    eval: true,
    workerData: { url, token: TOKENS.PRECACHE_API_TOKEN, t0, client, localPrefix: localPrefix ?? null },
  });
  const rolloutStates = new Map<string, string>();
  let onReport: ((report: UiReport) => void) | null = null;
  const ready = new Promise<void>((resolve, reject) => {
    worker.on("message", (message) => {
      if (message.type === "snapshot") resolve();
      if (message.type === "error") reject(new Error(`/ui client: ${message.message}`));
      if (message.type === "rollout") rolloutStates.set(message.id, message.state);
      if (message.type === "report") onReport?.(message.report);
    });
    worker.once("error", reject);
  });
  await ready;
  return {
    rolloutStates,
    report: () => new Promise((resolve) => ((onReport = resolve), worker.postMessage("report"))),
    async stop() {
      worker.postMessage("stop");
      await Promise.race([new Promise((resolve) => worker.once("exit", resolve)), sleep(2000)]);
      await worker.terminate();
    },
  };
}
