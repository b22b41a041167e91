// Worker threads that gzip blocks. Synchronous zlib inside a worker costs ~45 µs per call; the
// async zlib API costs ~300 µs of CPU per call (a stream per call plus thread-pool hops), which
// ate the gain of storing incompressible segments (gzip-block.mjs) when every 64 KiB run was
// its own call. The main thread keeps the ordered I/O and the hashes.
import { Worker } from "node:worker_threads";

const WORKER_FILE = new URL("./gzip-worker.mjs", import.meta.url);

type Waiting = { resolve: (member: Buffer) => void; reject: (error: Error) => void; worker: Worker };
type Reply = { id: number; member?: Uint8Array; error?: string };

export class GzipWorkers {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, Waiting>();
  private readonly load = new Map<Worker, number>();
  private nextId = 0;
  private failure: Error | null = null;

  constructor(private readonly size: number) {}

  /**
   * gzip member(s) for `block`. The block's memory is handed to the worker (transferred when the
   * buffer is the block's own, copied otherwise): do not touch it afterwards.
   */
  compress(block: Buffer, level: number): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.leastLoaded();
    const id = this.nextId++;
    const isOwned = block.byteOffset === 0 && block.byteLength === block.buffer.byteLength;
    return new Promise<Buffer>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, worker });
      this.load.set(worker, (this.load.get(worker) ?? 0) + 1);
      worker.postMessage({ id, block, level }, isOwned ? [block.buffer as ArrayBuffer] : []);
    });
  }

  async close(): Promise<void> {
    this.fail(new Error("gzip workers closed"));
    await Promise.all(this.workers.splice(0).map((worker) => worker.terminate()));
  }

  private leastLoaded(): Worker {
    if (this.workers.length < this.size) return this.spawn();
    return this.workers.reduce((best, worker) => ((this.load.get(worker) ?? 0) < (this.load.get(best) ?? 0) ? worker : best));
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_FILE);
    worker.unref(); // a forgotten pool must not keep the process alive
    worker.on("message", (reply: Reply) => this.settle(worker, reply));
    worker.on("error", (error) => this.fail(new Error(`gzip worker failed: ${error.message}`)));
    worker.on("exit", (code) => {
      if (this.failure === null && [...this.waiting.values()].some((entry) => entry.worker === worker)) {
        this.fail(new Error(`gzip worker exited (code ${code}) with blocks in flight`));
      }
    });
    this.workers.push(worker);
    return worker;
  }

  private settle(worker: Worker, reply: Reply): void {
    const entry = this.waiting.get(reply.id);
    if (!entry) return;
    this.waiting.delete(reply.id);
    this.load.set(worker, (this.load.get(worker) ?? 1) - 1);
    if (reply.error !== undefined || !reply.member) entry.reject(new Error(`gzip worker: ${reply.error ?? "no output"}`));
    else entry.resolve(Buffer.from(reply.member.buffer, reply.member.byteOffset, reply.member.byteLength));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const entry of this.waiting.values()) entry.reject(this.failure);
    this.waiting.clear();
  }
}
