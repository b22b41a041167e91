import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { parseEnv } from "../env.ts";
import { GENERATED_KEK_FILE, createArtifactKeyRing, loadArtifactKeyRing } from "./artifact-key-ring.ts";
import { toKek } from "./kek-material.ts";
import { rewrapArtifactKeys } from "./rewrap-artifact-keys.ts";

const log = pino({ level: "silent" });
const sha = (n: number) => String(n).padStart(64, "0");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-kek-"));
  dirs.push(dir);
  return dir;
}

describe("artifact key ring", () => {
  const kek = toKek(crypto.randomBytes(32));
  const ring = createArtifactKeyRing(kek);
  const artifactKey = crypto.randomBytes(32);

  it("wraps and unwraps; the stored form holds neither key", () => {
    const stored = ring.wrap(artifactKey, sha(1));
    expect(stored.keyId).toBe(kek.id);
    const bytes = Buffer.from(stored.wrappedKey.split(".")[1], "base64");
    expect(bytes.includes(artifactKey.subarray(0, 8))).toBe(false);
    expect(stored.wrappedKey.includes(kek.key.toString("base64"))).toBe(false);
    expect(ring.unwrap(stored, sha(1)).equals(artifactKey)).toBe(true);
  });

  it("binds a wrapped key to its artifact: copied onto another row it does not unwrap", () => {
    const stored = ring.wrap(artifactKey, sha(1));
    expect(() => ring.unwrap(stored, sha(2))).toThrow(/does not unwrap/);
  });

  it("names the missing KEK after a rotation without PRECACHE_KEK_PREVIOUS", () => {
    const stored = ring.wrap(artifactKey, sha(1));
    const rotated = createArtifactKeyRing(toKek(crypto.randomBytes(32)));
    expect(() => rotated.unwrap(stored, sha(1))).toThrow(new RegExp(`${kek.id}.*PRECACHE_KEK_PREVIOUS`));
    expect(
      createArtifactKeyRing(toKek(crypto.randomBytes(32)), [kek])
        .unwrap(stored, sha(1))
        .equals(artifactKey),
    ).toBe(true);
  });

  it("generates a KEK in the data dir (0600) once and reads it back", () => {
    const dataDir = tempDir();
    const stored = loadArtifactKeyRing({ dataDir }, log).wrap(artifactKey, sha(3));
    const file = path.join(dataDir, GENERATED_KEK_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    fs.chmodSync(file, 0o644);
    expect(loadArtifactKeyRing({ dataDir }, log).unwrap(stored, sha(3)).equals(artifactKey)).toBe(true);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it("prefers PRECACHE_KEK, then PRECACHE_KEK_FILE", () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, "kek.txt");
    fs.writeFileSync(file, `${kek.key.toString("base64")}\n`);
    expect(loadArtifactKeyRing({ dataDir, PRECACHE_KEK_FILE: file }, log).currentId).toBe(kek.id);
    const other = crypto.randomBytes(32).toString("base64");
    expect(loadArtifactKeyRing({ dataDir, PRECACHE_KEK: other, PRECACHE_KEK_FILE: file }, log).currentId).not.toBe(kek.id);
    fs.writeFileSync(file, "not a key");
    expect(() => loadArtifactKeyRing({ dataDir, PRECACHE_KEK_FILE: file }, log)).toThrow(/must hold base64 of 32 bytes/);
    expect(fs.existsSync(path.join(dataDir, GENERATED_KEK_FILE))).toBe(false);
  });

  it("reports malformed KEK settings by name", () => {
    expect(() => parseEnv({ PRECACHE_KEK: "c2hvcnQ=" })).toThrow(/PRECACHE_KEK=.*base64 of 32 bytes/);
    expect(() => parseEnv({ PRECACHE_KEK_PREVIOUS: `${kek.key.toString("base64")},nope` })).toThrow(/PRECACHE_KEK_PREVIOUS/);
    expect(parseEnv({ PRECACHE_ALLOWED_PROJECTS: " a, b ,," }).PRECACHE_ALLOWED_PROJECTS).toEqual(["a", "b"]);
  });

  it("rewraps keys under a previous KEK with the current one at start", async () => {
    const old = toKek(crypto.randomBytes(32));
    const before = createArtifactKeyRing(old).wrap(artifactKey, sha(4));
    const rows = [{ imageId: "img", sha256: sha(4), ...before }];
    const db = {
      artifact: {
        findMany: async () => rows.filter((row) => row.keyId !== kek.id),
        updateMany: async ({ data }: { data: { keyId: string; wrappedKey: string } }) => {
          Object.assign(rows[0], data);
          return { count: 1 };
        },
      },
    };
    const secrets = { artifactKeys: createArtifactKeyRing(kek, [old]) };
    const context = { db, log, secrets } as unknown as Parameters<typeof rewrapArtifactKeys>[0];
    expect(await rewrapArtifactKeys(context)).toEqual({ rewrapped: 1, left: 0 });
    expect(rows[0].keyId).toBe(kek.id);
    expect(createArtifactKeyRing(kek).unwrap(rows[0], sha(4)).equals(artifactKey)).toBe(true);
  });
});
