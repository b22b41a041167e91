// gzip in parallel, like pigz: the input is cut into blocks, each block becomes one gzip member
// compressed on libuv's thread pool, and members are emitted in order. A multi-member gzip file
// is one valid gzip stream (RFC 1952 §2.2): gunzip, zcat and Node's gunzip read it whole.
import os from "node:os";
import { Transform, type TransformCallback } from "node:stream";
import { promisify } from "node:util";
import zlib from "node:zlib";

const gzip = promisify(zlib.gzip);

export type ParallelGzipOptions = { level: number; blockBytes?: number; concurrency?: number };

export function createParallelGzip(options: ParallelGzipOptions): Transform {
  const blockBytes = options.blockBytes ?? 4 * 1024 * 1024;
  // Two blocks per core in flight: while the oldest is awaited for ordering, no core idles.
  const concurrency = options.concurrency ?? Math.max(2, 2 * os.availableParallelism());
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const inFlight: Promise<Buffer>[] = [];

  // A large output chunk: with the default 16 KiB every chunk is a round trip through the main
  // thread, which serialises the workers (measured: 1 MiB chunks double the throughput on 2 cores).
  const compress = (block: Buffer) => gzip(block, { level: options.level, memLevel: 9, chunkSize: 1 << 20 });

  async function drainTo(stream: Transform, limit: number): Promise<void> {
    while (inFlight.length > limit) {
      const member = await inFlight.shift()!;
      if (!stream.push(member)) {
        // push() returning false is advisory here; the bounded inFlight queue caps memory.
      }
    }
  }

  function takeBlock(): Buffer {
    const whole = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    const block = whole.subarray(0, blockBytes);
    const rest = whole.subarray(blockBytes);
    pending = rest.length ? [rest] : [];
    pendingBytes = rest.length;
    return block;
  }

  return new Transform({
    highWaterMark: blockBytes,
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      const work = async () => {
        while (pendingBytes >= blockBytes) {
          inFlight.push(compress(takeBlock()));
          await drainTo(this, concurrency - 1);
        }
      };
      work().then(() => done(), done);
    },
    flush(done: TransformCallback) {
      const work = async () => {
        if (pendingBytes > 0 || inFlight.length === 0) {
          inFlight.push(compress(pending.length ? Buffer.concat(pending, pendingBytes) : Buffer.alloc(0)));
          pending = [];
          pendingBytes = 0;
        }
        await drainTo(this, 0);
      };
      work().then(() => done(), done);
    },
  });
}
