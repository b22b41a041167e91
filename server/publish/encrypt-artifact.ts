// gzip → this → artifact file: seals the compressed stream with a per-artifact key, chunk by chunk
// (format in protocol/sealed-stream.ts). A chunk is written only once the next byte exists or the
// input has ended, because only then is it known whether it is the last one.
import crypto from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { ByteQueue } from "../../protocol/byte-queue.ts";
import { CIPHER, DEFAULT_CHUNK_BYTES, KEY_BYTES, NONCE_PREFIX_BYTES, chunkNonce, encodeHeader } from "../../protocol/sealed-stream.ts";

export type SealOptions = { key: Buffer; chunkBytes?: number; noncePrefix?: Buffer };

export function newArtifactKey(): Buffer {
  return crypto.randomBytes(KEY_BYTES);
}

export function createSealingStream(options: SealOptions): Transform {
  if (options.key.length !== KEY_BYTES) throw new Error(`artifact key must be ${KEY_BYTES} bytes`);
  const header = encodeHeader(options.chunkBytes ?? DEFAULT_CHUNK_BYTES, options.noncePrefix ?? crypto.randomBytes(NONCE_PREFIX_BYTES));
  const queue = new ByteQueue();
  let index = 0;

  function seal(plain: Buffer, isLast: boolean, out: Buffer[]): void {
    const cipher = crypto.createCipheriv(CIPHER, options.key, chunkNonce(header.noncePrefix, index++, isLast));
    cipher.setAAD(header.bytes);
    out.push(cipher.update(plain), cipher.final(), cipher.getAuthTag());
  }

  return new Transform({
    construct(done) {
      this.push(header.bytes);
      done();
    },
    transform(piece: Buffer, _encoding, done: TransformCallback) {
      queue.push(piece);
      const out: Buffer[] = [];
      try {
        // Strictly more than a chunk queued: the chunk we cut now is certainly not the last.
        while (queue.length > header.chunkBytes) seal(queue.take(header.chunkBytes), false, out);
      } catch (error) {
        return done(error as Error);
      }
      done(null, out.length ? Buffer.concat(out) : undefined);
    },
    flush(done: TransformCallback) {
      const out: Buffer[] = [];
      try {
        seal(queue.take(header.chunkBytes), true, out); // possibly empty: an empty plaintext is one empty last chunk
      } catch (error) {
        return done(error as Error);
      }
      done(null, Buffer.concat(out));
    },
  });
}
