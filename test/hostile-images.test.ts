// A tenant's image is hostile input: through the whole product (Glance → publish → rollout →
// real agent), images that would make qemu read hypervisor files are refused with the reason on
// the node, and nothing of the host file lands in nova's cache. Good images still convert.
import { execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseFilePath } from "../agent/download/cache-paths.ts";
import { placeImage } from "../agent/download/place-image.ts";
import type { PrecacheAgent } from "../agent/precache-agent.ts";
import { startFakeGlance, type FakeGlance } from "./fake-glance/fake-glance.ts";
import { startGzipOrigin, type GzipOrigin } from "./support/gzip-origin.ts";
import {
  convertedImage,
  descriptorVmdk,
  goodQcow2,
  hostSecret,
  qcow2Declaring,
  qcow2WithBackingFile,
  requireQemu,
} from "./support/hostile-images.ts";
import { startTestAgent } from "./support/test-agent.ts";
import { publishAndWait, rolloutAndWait, startTestServer, type TestServer } from "./support/test-server.ts";

const FLAT_VMDK = "11111111-1111-4111-8111-000000000001";
const RAW_LABELLED_QCOW2 = "11111111-1111-4111-8111-000000000002";
const HUGE_QCOW2 = "11111111-1111-4111-8111-000000000003";

/** Every byte under `dir`, to look for the host file's content. */
function everything(dir: string): string {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => fs.readFileSync(path.join(entry.parentPath, entry.name), "latin1"))
    .join("");
}

describe.skipIf(!requireQemu("hostile image tests"))("hostile images", () => {
  let dir: string;
  let secret: { file: string; content: string };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-hostile-"));
    secret = hostSecret(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe("through the product: fake Glance, real server, real agents", () => {
    let glance: FakeGlance;
    let server: TestServer;
    const agents: PrecacheAgent[] = [];
    beforeAll(async () => {
      glance = await startFakeGlance({
        images: [
          { id: FLAT_VMDK, name: "flat.vmdk", data: descriptorVmdk(secret.file), disk_format: "vmdk" },
          { id: RAW_LABELLED_QCOW2, name: "not-really-raw.img", data: qcow2WithBackingFile(dir, secret.file), disk_format: "raw" },
          // Glance says 64 MiB; the header declares 1 TiB, which qemu-img would write out as raw.
          { id: HUGE_QCOW2, name: "huge.qcow2", data: qcow2Declaring(dir, 2 ** 40), disk_format: "qcow2", virtual_size: 64 * 2 ** 20 },
        ],
      });
      server = await startTestServer({ GLANCE_URL: glance.url });
      agents.push(await startTestAgent(server.url, "hv-force-raw", { forceRawImages: true }));
      agents.push(await startTestAgent(server.url, "hv-as-is", { forceRawImages: false }));
    });
    afterAll(async () => {
      for (const agent of agents) {
        await agent.stop();
        fs.rmSync(agent.config.cacheDir, { recursive: true, force: true });
      }
      await server?.close();
      await glance?.close();
    });

    async function refusedOn(imageId: string, agent: PrecacheAgent) {
      await publishAndWait(server, imageId);
      const rollout = await rolloutAndWait(server, { imageId, hypervisors: [agent.config.name] });
      expect(rollout).toMatchObject({ state: "failed", counts: { done: 0, failed: 1 } });
      const { body } = await server.api("GET", `/api/hypervisors/${agent.config.name}`);
      const cell = body.hypervisor.images.find((entry: { imageId: string }) => entry.imageId === imageId);
      expect(cell).toMatchObject({ state: "failed", verified: false });
      expect(fs.existsSync(baseFilePath(agent.config.cacheDir, imageId))).toBe(false);
      expect(everything(agent.config.cacheDir)).not.toContain("HOST-SECRET");
      expect(fs.readdirSync(agent.config.cacheDir)).toEqual([]);
      return { targetError: rollout.hypervisors[0].error as string, cellError: cell.error as string };
    }

    it("refuses a monolithicFlat VMDK whose extent is a host file, on a force_raw_images node", async () => {
      const { targetError, cellError } = await refusedOn(FLAT_VMDK, agents[0]);
      expect(targetError).toMatch(/^UNSAFE_IMAGE: .*monolithicFlat.*nova\.conf/);
      expect(cellError).toBe(targetError);
    });

    it("refuses a qcow2 whose header declares more than Glance's virtual_size, which the server sends", async () => {
      const { targetError } = await refusedOn(HUGE_QCOW2, agents[0]);
      expect(targetError).toMatch(/^VIRTUAL_SIZE_EXCEEDED: .*1099511627776 bytes, Glance's virtual_size is 67108864/);
    });

    it("refuses a raw-labelled qcow2 with a backing file, even with force_raw_images off", async () => {
      const { targetError } = await refusedOn(RAW_LABELLED_QCOW2, agents[1]);
      expect(targetError).toMatch(/^UNSAFE_IMAGE: .*backing file.*nova\.conf/);
    });
  });

  describe("the one-shot fetch (no server) applies the same checks", () => {
    let origin: GzipOrigin;
    beforeAll(async () => {
      origin = await startGzipOrigin();
    });
    afterAll(() => origin.close());

    function fetchOnce(data: Buffer, extra: string[]): Promise<{ code: number | null; stderr: string; cacheDir: string }> {
      const { url, sha512 } = origin.serve(data);
      const cacheDir = fs.mkdtempSync(path.join(dir, "cli-cache-"));
      const args = [
        "tsx",
        "agent/cli.ts",
        "fetch",
        crypto.randomUUID(),
        "--artifact-url",
        url,
        "--hash",
        `sha512:${sha512}`,
        "--cache-dir",
        cacheDir,
        "--allow-direct",
        ...extra,
      ];
      return new Promise((resolve, reject) => {
        // Asynchronous: the origin serving this download lives in this process.
        const child = spawn("npx", args, { cwd: path.resolve(import.meta.dirname, ".."), stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.once("error", reject);
        child.once("close", (code) => resolve({ code, stderr, cacheDir }));
      });
    }

    it("refuses a flat VMDK and a raw-labelled qcow2 with a backing file, leaving nothing", async () => {
      const flat = await fetchOnce(descriptorVmdk(secret.file), ["--disk-format", "vmdk"]);
      expect(flat.code).toBe(2);
      expect(flat.stderr).toMatch(/UNSAFE_IMAGE: .*monolithicFlat/);
      expect(fs.readdirSync(flat.cacheDir)).toEqual([]);
      const rawLabelled = await fetchOnce(qcow2WithBackingFile(dir, secret.file), ["--disk-format", "raw", "--force-raw-images", "false"]);
      expect(rawLabelled.code).toBe(2);
      expect(rawLabelled.stderr).toMatch(/UNSAFE_IMAGE: .*backing file/);
      expect(fs.readdirSync(rawLabelled.cacheDir)).toEqual([]);
    }, 60_000);
  });

  describe("good images still pass and convert", () => {
    let origin: GzipOrigin;
    let qcow2: string;
    beforeAll(async () => {
      origin = await startGzipOrigin();
      qcow2 = goodQcow2(dir, "guest.qcow2");
    });
    afterAll(() => origin.close());

    it.each([
      ["qcow2", "qcow2", undefined],
      ["vmdk", "vmdk", "streamOptimized"],
      ["vmdk", "vmdk", "monolithicSparse"],
    ])("%s (%s %s) lands as raw, identical to the guest", async (diskFormat, qemuFormat, subformat) => {
      const file = subformat || qemuFormat !== "qcow2" ? convertedImage(qcow2, dir, qemuFormat, subformat) : qcow2;
      const cacheDir = fs.mkdtempSync(path.join(dir, "cache-"));
      const imageId = crypto.randomUUID();
      const placed = await placeImage({
        ...origin.direct(fs.readFileSync(file)),
        imageId,
        cacheDir,
        diskFormat,
        forceRawImages: true,
      });
      expect(placed.convertedFrom).toBe(diskFormat);
      execFileSync("qemu-img", ["compare", "-q", "-f", "qcow2", "-F", "raw", qcow2, baseFilePath(cacheDir, imageId)]);
      expect(fs.readdirSync(cacheDir)).toEqual([path.basename(placed.path)]);
    });

    it("raw stays raw", async () => {
      const data = crypto.randomBytes(512 * 1024);
      const cacheDir = fs.mkdtempSync(path.join(dir, "cache-"));
      const placed = await placeImage({
        ...origin.direct(data),
        imageId: crypto.randomUUID(),
        cacheDir,
        diskFormat: "raw",
        forceRawImages: true,
      });
      expect(placed.convertedFrom).toBeNull();
      expect(fs.readFileSync(placed.path).equals(data)).toBe(true);
    });
  });
});
