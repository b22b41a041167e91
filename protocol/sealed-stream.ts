// The sealed-artifact format shared by the publisher (encrypts) and the agent (decrypts): a STREAM
// construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015; as in age and Tink's streaming AEAD)
// over AES-256-GCM, so every chunk authenticates on its own and a Squid caches the ciphertext
// like any other object.
//
//   header  = "PCSEALED" | version (1 byte) | chunk size (u32 BE) | nonce prefix (7 random bytes)
//   chunk i = AES-256-GCM(key, nonce = prefix | i (u32 BE) | last (1 byte: 1 on the final chunk),
//                         aad = header, plaintext ≤ chunk size) → ciphertext | 16-byte tag
//
// Every chunk but the last holds exactly `chunk size` plaintext bytes; the last holds 0..chunk size
// (0 only when the whole plaintext is empty). The counter in the nonce catches reordered, dropped
// or repeated chunks; the last flag catches a stream cut at a chunk boundary; the header as AAD
// binds version and chunk size. Chunk i starts at HEADER_BYTES + i × (chunk size + TAG_BYTES),
// which is what lets a broken download resume on a chunk boundary.

export const SEALED_MAGIC = Buffer.from("PCSEALED", "ascii");
export const SEALED_VERSION = 1;
export const HEADER_BYTES = SEALED_MAGIC.length + 1 + 4 + 7;
export const NONCE_PREFIX_BYTES = 7;
export const TAG_BYTES = 16;
export const KEY_BYTES = 32;
export const CIPHER = "aes-256-gcm";
/** 64 KiB like age: small enough that little is re-fetched after a break, big enough that per-chunk cost vanishes. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;
/** Bounds a hostile header can claim, so a decryptor never buffers more than this per chunk. */
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
/** The file extension of sealed artifacts on the origin. */
export const SEALED_EXTENSION = "sealed";

export type SealedHeader = { chunkBytes: number; noncePrefix: Buffer; bytes: Buffer };

export function encodeHeader(chunkBytes: number, noncePrefix: Buffer): SealedHeader {
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES)
    throw new Error(`chunk size ${chunkBytes} out of range`);
  if (noncePrefix.length !== NONCE_PREFIX_BYTES) throw new Error(`nonce prefix must be ${NONCE_PREFIX_BYTES} bytes`);
  const bytes = Buffer.alloc(HEADER_BYTES);
  SEALED_MAGIC.copy(bytes, 0);
  bytes.writeUInt8(SEALED_VERSION, SEALED_MAGIC.length);
  bytes.writeUInt32BE(chunkBytes, SEALED_MAGIC.length + 1);
  noncePrefix.copy(bytes, SEALED_MAGIC.length + 5);
  return { chunkBytes, noncePrefix: Buffer.from(noncePrefix), bytes };
}

/** The header's fields, or the reason it is not a header this version can read. */
export function decodeHeader(bytes: Buffer): SealedHeader | string {
  if (bytes.length < HEADER_BYTES) return `sealed header truncated (${bytes.length} of ${HEADER_BYTES} bytes)`;
  if (!bytes.subarray(0, SEALED_MAGIC.length).equals(SEALED_MAGIC)) return "not a sealed artifact (bad magic)";
  const version = bytes.readUInt8(SEALED_MAGIC.length);
  if (version !== SEALED_VERSION) return `sealed artifact version ${version} is not supported (only ${SEALED_VERSION})`;
  const chunkBytes = bytes.readUInt32BE(SEALED_MAGIC.length + 1);
  if (chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) return `sealed chunk size ${chunkBytes} out of range`;
  const own = Buffer.from(bytes.subarray(0, HEADER_BYTES));
  return { chunkBytes, noncePrefix: own.subarray(SEALED_MAGIC.length + 5), bytes: own };
}

export function chunkNonce(noncePrefix: Buffer, index: number, isLast: boolean): Buffer {
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) throw new Error(`chunk index ${index} out of range`);
  const nonce = Buffer.alloc(12);
  noncePrefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, NONCE_PREFIX_BYTES);
  nonce.writeUInt8(isLast ? 1 : 0, 11);
  return nonce;
}

/** Where ciphertext chunk `index` starts in the sealed object (a Range request's first byte). */
export function chunkOffset(index: number, chunkBytes: number): number {
  return HEADER_BYTES + index * (chunkBytes + TAG_BYTES);
}

/** The size of the sealed object for `plainBytes` of plaintext. */
export function sealedSize(plainBytes: number, chunkBytes: number): number {
  const chunks = Math.max(1, Math.ceil(plainBytes / chunkBytes));
  return HEADER_BYTES + plainBytes + chunks * TAG_BYTES;
}

/** The last chunk boundary at or before `offset`: a resumed request starts there. */
export function chunkBoundaryAtOrBefore(offset: number, chunkBytes: number): number {
  if (offset < HEADER_BYTES) return 0;
  return chunkOffset(Math.floor((offset - HEADER_BYTES) / (chunkBytes + TAG_BYTES)), chunkBytes);
}
