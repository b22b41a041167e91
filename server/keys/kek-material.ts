// Key-encryption keys (KEKs) as operators write them: base64 of exactly 32 random bytes
// (`openssl rand -base64 32`). A KEK is named by a short id derived from it, stored beside every
// key it wraps, so after a rotation the server knows which KEK a stored key needs.
import crypto from "node:crypto";

export const KEK_BYTES = 32;

export type Kek = { id: string; key: Buffer };

/** The 32 bytes of a base64 KEK, or null when it is not one. */
export function decodeKek(text: string): Buffer | null {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return null;
  const bytes = Buffer.from(trimmed.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  return bytes.length === KEK_BYTES ? bytes : null;
}

/** A comma-separated list of base64 KEKs (PRECACHE_KEK_PREVIOUS), or null when any entry is malformed. */
export function decodeKekList(text: string): Buffer[] | null {
  const entries = text
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  const keys = entries.map(decodeKek);
  return keys.every((key) => key !== null) ? (keys as Buffer[]) : null;
}

/** Not secret (a one-way hash, truncated): safe to store, log and show. */
export function kekId(key: Buffer): string {
  return `kek-${crypto.createHash("sha256").update("precache kek id\0").update(key).digest("hex").slice(0, 16)}`;
}

export function toKek(key: Buffer): Kek {
  return { id: kekId(key), key };
}
