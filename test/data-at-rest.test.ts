// Finding 8: the data dir (PGlite database, secrets, artifacts) must keep other local users out.
// The real server on PGlite: a fresh start writes nothing group/world-writable, and a data dir
// left with loose modes (0777 dirs, 0644 secrets, 0666 database files) is tightened at start.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { publishAndWait, startTestServer, type TestServer } from "./support/test-server.ts";

const GROUP_WORLD_WRITE = 0o022;
const mode = (target: string) => fs.statSync(target).mode & 0o777;

/** Everything under `dir` (not following links) that group or others may write. */
function looseEntries(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((entry) => !fs.lstatSync(entry).isSymbolicLink() && fs.lstatSync(entry).mode & GROUP_WORLD_WRITE)
    .map((entry) => `${(fs.lstatSync(entry).mode & 0o777).toString(8)} ${path.relative(dir, entry)}`);
}

function newDataDir(made: string[]): string {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-at-rest-"));
  made.push(dataDir);
  // A small image instead of the 32 MiB sample: the walk cares about modes, not sizes.
  fs.mkdirSync(path.join(dataDir, "images"));
  fs.writeFileSync(path.join(dataDir, "images", "tiny.raw"), Buffer.alloc(64 * 1024, 3));
  return dataDir;
}

describe("data at rest", () => {
  let server: TestServer | null = null;
  const made: string[] = [];
  afterEach(async () => {
    await server?.close();
    server = null;
    for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a fresh start (and a publish) leaves nothing group- or world-writable in the data dir", async () => {
    const dataDir = newDataDir(made);
    server = await startTestServer({ PRECACHE_DATA_DIR: dataDir });
    const image = (await server.api("GET", "/api/images")).body.images[0];
    await publishAndWait(server, image.id);
    expect(fs.readdirSync(path.join(dataDir, "artifacts")).length).toBeGreaterThan(0);

    expect(mode(dataDir)).toBe(0o700);
    expect(mode(path.join(dataDir, "pglite"))).toBe(0o700);
    expect(mode(path.join(dataDir, "secrets.json"))).toBe(0o600);
    expect(looseEntries(dataDir)).toEqual([]);
    await server.close();
    server = null;
    expect(looseEntries(dataDir)).toEqual([]); // files the database made while running, too
  });

  it("tightens a data dir left with loose modes (0777 dirs, 0644 secrets, 0666 files), and a separate artifact dir", async () => {
    const dataDir = newDataDir(made);
    const artifactDir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-at-rest-artifacts-"));
    made.push(artifactDir);
    const vars = { PRECACHE_DATA_DIR: dataDir, PRECACHE_ARTIFACT_DIR: artifactDir };
    server = await startTestServer(vars);
    await server.close();
    server = null;

    fs.writeFileSync(path.join(artifactDir, "left-over.gz"), "x");
    for (const dir of [dataDir, artifactDir]) {
      for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
        fs.chmodSync(path.join(entry.parentPath, entry.name), entry.isDirectory() ? 0o777 : 0o666);
      }
      fs.chmodSync(dir, 0o777);
    }
    fs.chmodSync(path.join(dataDir, "secrets.json"), 0o644);
    expect(looseEntries(dataDir).length).toBeGreaterThan(900);

    server = await startTestServer(vars);
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(path.join(dataDir, "pglite"))).toBe(0o700);
    expect(mode(path.join(dataDir, "secrets.json"))).toBe(0o600);
    expect(looseEntries(dataDir)).toEqual([]);
    expect(mode(artifactDir) & GROUP_WORLD_WRITE).toBe(0);
    expect(looseEntries(artifactDir)).toEqual([]);
    // The database still works after its files changed modes.
    expect((await server.api("GET", "/api/images")).body.images).toHaveLength(1);
  });
});
