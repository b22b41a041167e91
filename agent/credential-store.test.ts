import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { credentialFile, prepareStateDir, readCredentialSync, saveCredential } from "./credential-store.ts";

const roots: string[] = [];
const tempRoot = () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "precache-state-"));
  roots.push(root);
  return root;
};
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});
const stored = (name: string, credential: string) => ({ name, server: "https://p", credential, enrolledAt: new Date(0).toISOString() });

describe("credential store", () => {
  it("creates the state dir 0700 (tightening a loose one) and the file 0600, replacing it whole", async () => {
    const stateDir = path.join(tempRoot(), ".precache");
    fs.mkdirSync(stateDir, { mode: 0o777 });
    fs.chmodSync(stateDir, 0o755);
    await prepareStateDir(stateDir);
    expect(fs.statSync(stateDir).mode & 0o777).toBe(0o700);
    await saveCredential(stateDir, stored("hv-1", "first"));
    await saveCredential(stateDir, stored("hv-1", "second"));
    expect(fs.statSync(credentialFile(stateDir, "hv-1")).mode & 0o777).toBe(0o600);
    expect(readCredentialSync(stateDir, "hv-1")?.credential).toBe("second");
    expect(fs.readdirSync(stateDir)).toEqual(["credential-hv-1.json"]);
  });

  it("keeps names apart, and tightens a credential file left group- or world-readable", async () => {
    const stateDir = tempRoot();
    await saveCredential(stateDir, stored("hv-a", "a"));
    expect(readCredentialSync(stateDir, "hv-b")).toBeNull();
    fs.chmodSync(credentialFile(stateDir, "hv-a"), 0o644);
    expect(readCredentialSync(stateDir, "hv-a")?.credential).toBe("a");
    expect(fs.statSync(credentialFile(stateDir, "hv-a")).mode & 0o777).toBe(0o600);
  });

  it("refuses a symlink in place of the state dir or the credential file", async () => {
    const root = tempRoot();
    fs.mkdirSync(path.join(root, "elsewhere"));
    fs.symlinkSync(path.join(root, "elsewhere"), path.join(root, ".precache"));
    await expect(prepareStateDir(path.join(root, ".precache"))).rejects.toThrow(/not a directory \(a symlink\?\)/);
    const stateDir = path.join(root, "state");
    await prepareStateDir(stateDir);
    fs.writeFileSync(path.join(root, "planted.json"), JSON.stringify(stored("hv-x", "planted")));
    fs.symlinkSync(path.join(root, "planted.json"), credentialFile(stateDir, "hv-x"));
    expect(() => readCredentialSync(stateDir, "hv-x")).toThrow(/unreadable/);
  });
});
