// Sealed artifact → this → gunzip: opens the STREAM chunks of protocol/sealed-stream.ts one at a
// time and passes on a chunk's plaintext only after its tag verified, so no byte of a tampered,
// truncated or reordered object ever reaches gunzip, the hash or the .part file.
import crypto from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { ByteQueue } from "../../protocol/byte-queue.ts";
import { CIPHER, HEADER_BYTES, KEY_BYTES, TAG_BYTES, chunkNonce, decodeHeader, type SealedHeader } from "../../protocol/sealed-stream.ts";
import { AgentError } from "../agent-error.ts";

export type OpenOptions = {
  key: Buffer;
  /** Resuming mid-object: the header read earlier, and the index of the chunk the input starts with. */
  resumeAt?: { header: Buffer; chunk: number };
  /** Told the chunk geometry once the header is read (where a resumed request may start). */
  onHeader?: (header: SealedHeader) => void;
};

export function createOpeningStream(options: OpenOptions): Transform {
  if (options.key.length !== KEY_BYTES) throw new AgentError("INVALID_COMMAND", `artifact key must be ${KEY_BYTES} bytes`);
  const queue = new ByteQueue();
  let header: SealedHeader | null = options.resumeAt ? readHeader(options.resumeAt.header) : null;
  let index = options.resumeAt?.chunk ?? 0;

  function open(sealed: Buffer, isLast: boolean): Buffer {
    const { noncePrefix, bytes } = header!;
    const decipher = crypto.createDecipheriv(CIPHER, options.key, chunkNonce(noncePrefix, index, isLast));
    decipher.setAAD(bytes);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plain = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    try {
      decipher.final(); // throws unless the tag matches: the plaintext above is released only after this
    } catch (cause) {
      const what = isLast ? "the final chunk" : `chunk ${index}`;
      throw new AgentError(
        "DECRYPT_FAILED",
        `sealed artifact: ${what} failed authentication (tampered, truncated, reordered or wrong key)`,
        {
          cause,
        },
      );
    }
    index++;
    return plain;
  }

  return new Transform({
    transform(piece: Buffer, _encoding, done: TransformCallback) {
      queue.push(piece);
      try {
        if (!header && queue.length >= HEADER_BYTES) {
          header = readHeader(queue.take(HEADER_BYTES));
          options.onHeader?.(header);
        }
        if (header) {
          const stride = header.chunkBytes + TAG_BYTES;
          // Strictly more than a chunk queued: this chunk is not the last, so it must open as not-last.
          while (queue.length > stride) this.push(open(queue.take(stride), false));
        }
      } catch (error) {
        return done(error as Error);
      }
      done();
    },
    flush(done: TransformCallback) {
      try {
        if (!header) throw new AgentError("DECRYPT_FAILED", `sealed artifact truncated: ${queue.length} bytes, not even a header`);
        if (queue.length < TAG_BYTES) throw new AgentError("DECRYPT_FAILED", `sealed artifact truncated after chunk ${index - 1}`);
        done(null, open(queue.take(queue.length), true));
      } catch (error) {
        done(error as Error);
      }
    },
  });
}

function readHeader(bytes: Buffer): SealedHeader {
  const header = decodeHeader(bytes);
  if (typeof header === "string") throw new AgentError("DECRYPT_FAILED", header);
  return header;
}
