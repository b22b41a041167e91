// The key-encryption keys of this server: the current one wraps every new artifact key, previous
// ones (PRECACHE_KEK_PREVIOUS) still unwrap until start-up has rewrapped their keys. Artifact keys
// are stored only wrapped (AES-256-GCM under the KEK, bound to the artifact's sha256 so a wrapped
// key copied onto another artifact row does not unwrap).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import type { Env } from "../env.ts";
import { AppError } from "../errors.ts";
import { writeSecretFile } from "../secure-data-dir.ts";
import { KEK_BYTES, decodeKek, decodeKekList, toKek, type Kek } from "./kek-material.ts";

export type WrappedKey = { keyId: string; wrappedKey: string };

export type ArtifactKeyRing = {
  readonly currentId: string;
  wrap(artifactKey: Buffer, sha256: string): WrappedKey;
  /** The artifact key, or an AppError naming the KEK that is missing. */
  unwrap(stored: WrappedKey, sha256: string): Buffer;
};

/** Where a generated KEK lives when neither PRECACHE_KEK nor PRECACHE_KEK_FILE is set. */
export const GENERATED_KEK_FILE = "artifact-kek";
const WRAP_FORMAT = "v1";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export function loadArtifactKeyRing(
  env: Pick<Env, "PRECACHE_KEK" | "PRECACHE_KEK_FILE" | "PRECACHE_KEK_PREVIOUS" | "dataDir">,
  log: Logger,
) {
  const current = toKek(readCurrentKek(env, log));
  const previous = (decodeKekList(env.PRECACHE_KEK_PREVIOUS ?? "") ?? []).map(toKek);
  return createArtifactKeyRing(current, previous);
}

export function createArtifactKeyRing(current: Kek, previous: Kek[] = []): ArtifactKeyRing {
  const byId = new Map<string, Kek>([...previous, current].map((kek) => [kek.id, kek]));
  return {
    currentId: current.id,
    wrap(artifactKey, sha256) {
      const nonce = crypto.randomBytes(NONCE_BYTES);
      const cipher = crypto.createCipheriv("aes-256-gcm", current.key, nonce);
      cipher.setAAD(bindingOf(sha256));
      const sealed = Buffer.concat([nonce, cipher.update(artifactKey), cipher.final(), cipher.getAuthTag()]);
      return { keyId: current.id, wrappedKey: `${WRAP_FORMAT}.${sealed.toString("base64")}` };
    },
    unwrap(stored, sha256) {
      const kek = byId.get(stored.keyId);
      if (!kek) {
        throw new AppError(
          "KEY_UNAVAILABLE",
          `the key of artifact ${sha256} is wrapped with ${stored.keyId}, which is neither PRECACHE_KEK nor in PRECACHE_KEK_PREVIOUS`,
        );
      }
      const [format, body] = stored.wrappedKey.split(".", 2);
      const sealed = Buffer.from(body ?? "", "base64");
      if (format !== WRAP_FORMAT || sealed.length !== NONCE_BYTES + KEK_BYTES + TAG_BYTES) {
        throw new AppError("KEY_UNAVAILABLE", `the stored key of artifact ${sha256} is malformed`);
      }
      try {
        const decipher = crypto.createDecipheriv("aes-256-gcm", kek.key, sealed.subarray(0, NONCE_BYTES));
        decipher.setAAD(bindingOf(sha256));
        decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
        return Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new AppError("KEY_UNAVAILABLE", `the stored key of artifact ${sha256} does not unwrap with ${stored.keyId}`);
      }
    },
  };
}

function bindingOf(sha256: string): Buffer {
  return Buffer.from(`precache artifact key ${WRAP_FORMAT}\0${sha256}`);
}

function readCurrentKek(env: Pick<Env, "PRECACHE_KEK" | "PRECACHE_KEK_FILE" | "dataDir">, log: Logger): Buffer {
  if (env.PRECACHE_KEK) return decodeKek(env.PRECACHE_KEK)!; // validated by env.ts
  if (env.PRECACHE_KEK_FILE) return readKekFile(env.PRECACHE_KEK_FILE);
  const file = path.join(env.dataDir, GENERATED_KEK_FILE);
  if (fs.existsSync(file)) {
    fs.chmodSync(file, 0o600); // like secrets.json: a copy with loose modes is tightened at start
    return readKekFile(file);
  }
  fs.mkdirSync(env.dataDir, { recursive: true, mode: 0o700 });
  writeSecretFile(file, `${crypto.randomBytes(KEK_BYTES).toString("base64")}\n`);
  log.warn(
    { file },
    `generated the key-encryption key for private images' artifact keys in ${file}: back it up, and set PRECACHE_KEK (the same on every server) when several servers share one database`,
  );
  return readKekFile(file);
}

function readKekFile(file: string): Buffer {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new AppError("CONFIG_INVALID", `cannot read the key-encryption key file ${file}: ${(error as Error).message}`);
  }
  const key = decodeKek(text);
  if (!key) throw new AppError("CONFIG_INVALID", `${file} must hold base64 of ${KEK_BYTES} bytes (openssl rand -base64 32)`);
  return key;
}
