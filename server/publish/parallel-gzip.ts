// gzip in parallel, like pigz: the input is cut into blocks, each block becomes gzip members
// compressed by worker threads (gzip-workers.ts, gzip-block.mjs), and members are emitted in
// order. A multi-member gzip file is one valid gzip stream (RFC 1952 §2.2): gunzip, zcat and
// Node's gunzip read it whole.
import os from "node:os";
import { Transform, type TransformCallback } from "node:stream";
import { GzipWorkers } from "./gzip-workers.ts";

export type ParallelGzipOptions = { level: number; blockBytes?: number; concurrency?: number; threads?: number };

export function createParallelGzip(options: ParallelGzipOptions): Transform {
  const blockBytes = options.blockBytes ?? 4 * 1024 * 1024;
  const threads = options.threads ?? os.availableParallelism();
  // Two blocks per thread in flight: while the oldest is awaited for ordering, no thread idles.
  const concurrency = options.concurrency ?? Math.max(2, 2 * threads);
  const workers = new GzipWorkers(threads);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const inFlight: Promise<Buffer>[] = [];

  /** Queues a block; an early failure must not count as unhandled while older blocks are awaited first. */
  function enqueue(block: Buffer): void {
    const compressed = workers.compress(block, options.level);
    compressed.catch(() => {}); // drainTo awaits it in order and sees the failure
    inFlight.push(compressed);
  }

  async function drainTo(stream: Transform, limit: number): Promise<void> {
    // push()'s backpressure is advisory here: the bounded inFlight queue caps memory.
    while (inFlight.length > limit) stream.push(await inFlight.shift()!);
  }

  /** The next `bytes` of input in a buffer of its own, so it can be transferred to a worker. */
  function takeBlock(bytes: number): Buffer {
    const block = Buffer.allocUnsafeSlow(bytes);
    let filled = 0;
    while (filled < bytes) {
      const chunk = pending[0];
      const used = Math.min(chunk.length, bytes - filled);
      chunk.copy(block, filled, 0, used);
      filled += used;
      if (used === chunk.length) pending.shift();
      else pending[0] = chunk.subarray(used);
    }
    pendingBytes -= bytes;
    return block;
  }

  return new Transform({
    highWaterMark: blockBytes,
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      const work = async () => {
        while (pendingBytes >= blockBytes) {
          enqueue(takeBlock(blockBytes));
          await drainTo(this, concurrency - 1);
        }
      };
      work().then(() => done(), done);
    },
    flush(done: TransformCallback) {
      const work = async () => {
        // An empty input still becomes one (empty) gzip member: a valid .gz file.
        if (pendingBytes > 0 || inFlight.length === 0) enqueue(takeBlock(pendingBytes));
        pending = [];
        await drainTo(this, 0);
        await workers.close();
      };
      work().then(() => done(), done);
    },
    destroy(error, done) {
      workers.close().then(
        () => done(error),
        () => done(error),
      );
    },
  });
}
