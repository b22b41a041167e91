// Local account passwords: salted scrypt, parameters kept in the stored string so they can be
// raised later without invalidating existing hashes. Stored as scrypt$N$r$p$salt$hash (base64url).
import crypto from "node:crypto";
import { promisify } from "node:util";

const scrypt = promisify(crypto.scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: crypto.ScryptOptions,
) => Promise<Buffer>;

// One of OWASP's scrypt settings (N=2^15, r=8, p=3): 32 MiB per hash, so the four libuv threads
// hashing at once stay far below the server's memory, at ~100 ms each.
const DEFAULTS = { N: 2 ** 15, r: 8, p: 3 };
const KEY_LENGTH = 32;
const MAX_N = 2 ** 20;

export async function hashPassword(password: string, parameters = DEFAULTS): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await derive(password, salt, parameters.N, parameters.r, parameters.p);
  return ["scrypt", parameters.N, parameters.r, parameters.p, salt.toString("base64url"), hash.toString("base64url")].join("$");
}

/** Whether `password` matches `stored`; false for malformed or absurd stored strings. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every(Number.isSafeInteger) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16)
    return false;
  const salt = Buffer.from(parts[4], "base64url");
  const expected = Buffer.from(parts[5], "base64url");
  if (salt.length < 8 || expected.length !== KEY_LENGTH) return false;
  const actual = await derive(password, salt, N, r, p);
  return crypto.timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | null = null;

/** Spends the time a real check would, so an unknown user answers as slowly as a known one. */
export async function verifyDummyPassword(password: string): Promise<false> {
  dummyHash ??= hashPassword(crypto.randomBytes(16).toString("base64url"));
  await verifyPassword(password, await dummyHash);
  return false;
}

function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
}
