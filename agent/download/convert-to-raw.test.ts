// The second check where conversion happens: qemu-img's own reading of an image (info --output=json)
// must name no other file, whatever the inspector concluded.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { goodQcow2, hostSecret, qemuImg, requireQemu } from "../../test/support/hostile-images.ts";
import { infoRefusal } from "./convert-to-raw.ts";
import { INHERITED_IMAGE } from "./run-qemu-img.ts";

describe.skipIf(!requireQemu("qemu-img info checks"))("qemu-img info as a second check", () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-info-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  /** qemu-img info of `file` as the agent runs it: format given, the image as descriptor 3. */
  const info = (file: string, format: string) =>
    JSON.parse(execFileSync("sh", ["-c", `exec qemu-img info --output=json -f ${format} ${INHERITED_IMAGE} 3<"$0"`, file]).toString());

  it("accepts a plain qcow2 and a monolithicSparse VMDK", () => {
    const qcow2 = goodQcow2(dir);
    expect(infoRefusal(info(qcow2, "qcow2"), "qcow2")).toBeNull();
    const vmdk = path.join(dir, "sparse.vmdk");
    qemuImg("convert", "-f", "qcow2", "-O", "vmdk", "-o", "subformat=monolithicSparse", qcow2, vmdk);
    expect(infoRefusal(info(vmdk, "vmdk"), "vmdk")).toBeNull();
  });

  it("refuses backing files, data files, flat VMDK extents and a format other than the one asked for", () => {
    const secret = hostSecret(dir).file;
    const backed = path.join(dir, "backed.qcow2");
    qemuImg("create", "-q", "-f", "qcow2", "-b", secret, "-F", "raw", backed);
    expect(infoRefusal(info(backed, "qcow2"), "qcow2")).toContain(secret);
    const withData = path.join(dir, "with-data.qcow2");
    qemuImg("create", "-q", "-f", "qcow2", "-o", `data_file=${path.join(dir, "data.raw")}`, withData, "1M");
    expect(infoRefusal(info(withData, "qcow2"), "qcow2")).toContain("data.raw");
    const flat = path.join(dir, "flat.vmdk");
    fs.writeFileSync(
      flat,
      `# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\nRW 2 FLAT "${secret}" 0\n`,
    );
    expect(infoRefusal(info(flat, "vmdk"), "vmdk")).toContain("monolithicFlat");
    expect(infoRefusal({ format: "raw" }, "qcow2")).toContain("not qcow2");
  });
});
