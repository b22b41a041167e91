// The format inspector on images made by real qemu-img (good ones, and ones a tenant could craft
// to make qemu read hypervisor files), checked as nova's format_inspector would check them.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  convertedImage,
  descriptorVmdk,
  goodQcow2,
  hostSecret,
  qcow2WithBackingFile,
  qcow2WithDataFile,
  qemuImg,
  requireQemu,
  sparseVmdkNamingHostFile,
  withEmbeddedDescriptor,
} from "../../test/support/hostile-images.ts";
import { bufferImageBytes } from "./image-bytes.ts";
import { checkImageFormat, inspectImage } from "./inspect-image.ts";

const check = (data: Buffer, diskFormat: string | null) => () => checkImageFormat(bufferImageBytes(data), diskFormat, "image x").format;
const refusal = (data: Buffer, diskFormat: string | null) => {
  try {
    checkImageFormat(bufferImageBytes(data), diskFormat, "image x");
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error(`a ${diskFormat} image was accepted`);
};

describe.skipIf(!requireQemu("image inspection tests"))("inspecting images before nova sees them", () => {
  let dir: string;
  let qcow2: string;
  let secret: { file: string; content: string };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-inspect-"));
    qcow2 = goodQcow2(dir);
    secret = hostSecret(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const read = (file: string) => fs.readFileSync(file);

  it("accepts good images of every format as what Glance says they are", () => {
    expect(check(crypto.randomBytes(256 * 1024), "raw")()).toBe("raw");
    expect(check(Buffer.alloc(1 << 20), null)()).toBe("raw");
    expect(check(read(qcow2), "qcow2")()).toBe("qcow2");
    expect(check(read(goodQcow2(dir, "v2.qcow2", ["-o", "compat=0.10"])), "qcow2")()).toBe("qcow2");
    expect(check(read(convertedImage(qcow2, dir, "vmdk", "monolithicSparse")), "vmdk")()).toBe("vmdk");
    expect(check(read(convertedImage(qcow2, dir, "vmdk", "streamOptimized")), "vmdk")()).toBe("vmdk");
    expect(check(read(convertedImage(qcow2, dir, "vpc", "dynamic")), "vhd")()).toBe("vhd");
    expect(check(read(convertedImage(qcow2, dir, "vpc", "fixed")), "vhd")()).toBe("vhd");
    expect(check(read(convertedImage(qcow2, dir, "vhdx")), "vhdx")()).toBe("vhdx");
    expect(check(read(convertedImage(qcow2, dir, "vdi")), "vdi")()).toBe("vdi");
    const iso = Buffer.alloc(64 * 1024);
    iso.write("\x01CD001\x01", 32 * 1024, "latin1");
    expect(check(iso, "iso")()).toBe("iso");
    expect(check(crypto.randomBytes(4096), "iso")()).toBe("raw"); // as in nova: an ISO label on raw data is fine
  });

  it("reads the disk's virtual size from every header that declares one, as qemu-img info reads it", () => {
    const virtualSize = (file: string, diskFormat: string) =>
      checkImageFormat(bufferImageBytes(read(file)), diskFormat, "image x").virtualSize;
    const qemuSize = (file: string) => JSON.parse(execFileSync("qemu-img", ["info", "--output=json", file]).toString())["virtual-size"];
    const huge = goodQcow2(dir, "huge.qcow2");
    qemuImg("resize", "-q", "-f", "qcow2", huge, "3T");
    expect(virtualSize(huge, "qcow2")).toBe(3 * 1024 ** 4);
    const big = goodQcow2(dir, "big.qcow2");
    qemuImg("resize", "-q", "-f", "qcow2", big, "40M");
    for (const [format, diskFormat, subformat] of [
      ["vmdk", "vmdk", "monolithicSparse"],
      ["vmdk", "vmdk", "streamOptimized"],
      ["vpc", "vhd", "dynamic"],
      ["vpc", "vhd", "fixed"],
      ["vhdx", "vhdx", undefined],
      ["vdi", "vdi", undefined],
      ["parallels", "ploop", undefined],
    ] as const) {
      const file = convertedImage(big, dir, format, subformat);
      // VHD: the footer's size, as Glance reads it; qemu's may differ by part of a CHS cylinder.
      const tolerance = format === "vpc" ? 16 * 255 * 512 : 0;
      expect(Math.abs(virtualSize(file, diskFormat)! - qemuSize(file)), `${format} ${subformat ?? ""}`).toBeLessThanOrEqual(tolerance);
    }
    expect(checkImageFormat(bufferImageBytes(crypto.randomBytes(4096)), "raw", "image x").virtualSize).toBeNull(); // the file is the disk
  });

  it("refuses a monolithicFlat VMDK descriptor whose extent is a host file", () => {
    const error = refusal(descriptorVmdk(secret.file), "vmdk");
    expect(error).toMatchObject({ code: "UNSAFE_IMAGE", message: expect.stringContaining(secret.file) });
    expect(error.message).toContain("monolithicFlat");
  });

  it("refuses a vmfs extent, and a descriptor file labelled raw", () => {
    expect(refusal(descriptorVmdk(secret.file, "VMFS", "vmfs"), "vmdk")).toMatchObject({
      code: "UNSAFE_IMAGE",
      message: expect.stringContaining(secret.file),
    });
    expect(refusal(descriptorVmdk(secret.file), "raw")).toMatchObject({
      code: "UNSAFE_IMAGE",
      message: expect.stringContaining('disk_format "raw"'),
    });
  });

  it("refuses a monolithicSparse VMDK whose embedded descriptor names another file", () => {
    const evil = sparseVmdkNamingHostFile(dir, secret.file);
    expect(refusal(evil, "vmdk")).toMatchObject({ code: "UNSAFE_IMAGE", message: expect.stringContaining("capacity 0") });
    // With a capacity, the descriptor must still be one sparse extent without a path or parent.
    const sparse = read(convertedImage(qcow2, dir, "vmdk", "monolithicSparse"));
    const flatExtent = `# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=ffffffff\ncreateType="monolithicSparse"\nRW 2 FLAT "${secret.file}" 0\n`;
    expect(refusal(withEmbeddedDescriptor(sparse, flatExtent), "vmdk")).toMatchObject({
      code: "UNSAFE_IMAGE",
      message: expect.stringContaining(secret.file),
    });
    const pathExtent = `version=1\ncreateType="monolithicSparse"\nRW 2 SPARSE "${secret.file}"\n`;
    expect(refusal(withEmbeddedDescriptor(sparse, pathExtent), "vmdk").message).toContain(secret.file);
    const parent = `version=1\nparentCID=12345678\ncreateType="monolithicSparse"\nparentFileNameHint="${secret.file}"\nRW 2 SPARSE "x.vmdk"\n`;
    expect(refusal(withEmbeddedDescriptor(sparse, parent), "vmdk").message).toContain("parent");
    const otherType = `version=1\ncreateType="twoGbMaxExtentSparse"\nRW 2 SPARSE "x.vmdk"\n`;
    expect(refusal(withEmbeddedDescriptor(sparse, otherType), "vmdk").message).toContain("twoGbMaxExtentSparse");
    const junk = `version=1\ncreateType="monolithicSparse"\nRW 2 SPARSE "x.vmdk"\n$(cat /etc/passwd)\n`;
    expect(refusal(withEmbeddedDescriptor(sparse, junk), "vmdk").message).toContain("not understood");
  });

  it("refuses a qcow2 with a backing file, or with an external data file", () => {
    expect(refusal(qcow2WithBackingFile(dir, secret.file), "qcow2")).toMatchObject({
      code: "UNSAFE_IMAGE",
      message: expect.stringContaining(secret.file),
    });
    const withDataFile = qcow2WithDataFile(dir, path.join(dir, "data-file.raw"));
    expect(refusal(withDataFile, "qcow2")).toMatchObject({ code: "UNSAFE_IMAGE", message: expect.stringContaining("external data file") });
    const nameWithoutBit = Buffer.from(withDataFile);
    nameWithoutBit.writeBigUInt64BE(0n, 72); // the DATA header extension alone is refused too
    expect(refusal(nameWithoutBit, "qcow2").message).toContain("external data file");
  });

  it("refuses a raw-labelled qcow2 with a backing file, and any qcow2 labelled raw", () => {
    expect(refusal(qcow2WithBackingFile(dir, secret.file), "raw")).toMatchObject({
      code: "UNSAFE_IMAGE",
      message: expect.stringContaining(secret.file),
    });
    expect(refusal(read(qcow2), "raw")).toMatchObject({ code: "FORMAT_MISMATCH", message: expect.stringContaining("qcow2") });
    expect(refusal(read(qcow2), null).code).toBe("FORMAT_MISMATCH");
    expect(refusal(crypto.randomBytes(65536), "qcow2")).toMatchObject({
      code: "FORMAT_MISMATCH",
      message: expect.stringContaining("the data is raw"),
    });
    expect(refusal(read(convertedImage(qcow2, dir, "vmdk", "streamOptimized")), "qcow2").code).toBe("FORMAT_MISMATCH");
  });

  it("refuses what cannot be inspected: truncated or garbage headers, unknown features, two formats at once", () => {
    const good = read(qcow2);
    expect(refusal(good.subarray(0, 50), "qcow2").message).toContain("truncated");
    expect(refusal(good.subarray(0, 4096), "qcow2").message).toContain("refcount table");
    const garbage = Buffer.concat([good.subarray(0, 4), crypto.randomBytes(4092)]);
    expect(refusal(garbage, "qcow2").code).toBe("UNSAFE_IMAGE");
    const unknownFeature = Buffer.from(good);
    unknownFeature.writeBigUInt64BE(1n << 40n, 72);
    expect(refusal(unknownFeature, "qcow2").message).toContain("unknown incompatible features");
    const sparse = read(convertedImage(qcow2, dir, "vmdk", "monolithicSparse"));
    expect(refusal(sparse.subarray(0, 700), "vmdk").message).toContain("truncated");
    const polyglot = Buffer.from(good);
    polyglot.write("\x01CD001", 32 * 1024, "latin1");
    expect(refusal(polyglot, "qcow2").message).toContain("several formats");
    expect(refusal(crypto.randomBytes(1024), "no-such-format").code).toBe("FORMAT_MISMATCH");
  });

  it("refuses differencing VHD, VHDX and VDI images, and QED", () => {
    const vhd = read(convertedImage(qcow2, dir, "vpc", "dynamic"));
    vhd.writeUInt32BE(4, 60);
    expect(refusal(vhd, "vhd").message).toContain("differencing VHD");
    const vdi = read(convertedImage(qcow2, dir, "vdi"));
    vdi.writeUInt32LE(4, 0x4c);
    expect(refusal(vdi, "vdi").message).toContain("VDI image type 4");
    const vhdxFile = convertedImage(qcow2, dir, "vhdx");
    const vhdx = withVhdxParentBit(read(vhdxFile));
    expect(refusal(vhdx, "vhdx").message).toContain("differencing VHDX");
    const qed = path.join(dir, "x.qed");
    qemuImg("create", "-q", "-f", "qed", qed, "1M");
    expect(refusal(read(qed), "raw").message).toContain("QED");
    expect(inspectImage(bufferImageBytes(Buffer.from("LUKS\xba\xbe\x00\x01", "latin1"))).format).toBe("luks");
  });
});

/** Sets HasParent in a VHDX's file parameters (found the way the inspector finds them). */
function withVhdxParentBit(vhdx: Buffer): Buffer {
  const table = 192 * 1024;
  const count = vhdx.readUInt32LE(table + 8);
  for (let i = 0; i < count; i++) {
    const entry = table + 16 + i * 32;
    if (vhdx.subarray(entry, entry + 4).toString("hex") !== "06a27c8b") continue; // metadata region GUID, little-endian
    const metadata = Number(vhdx.readBigUInt64LE(entry + 16));
    for (let j = 0; j < vhdx.readUInt16LE(metadata + 10); j++) {
      const item = metadata + 32 + j * 32;
      if (vhdx.subarray(item, item + 4).toString("hex") !== "3767a1ca") continue; // file parameters GUID
      const parameters = metadata + vhdx.readUInt32LE(item + 16);
      vhdx.writeUInt32LE(vhdx.readUInt32LE(parameters + 4) | 0b10, parameters + 4);
      return vhdx;
    }
  }
  throw new Error("no VHDX file parameters found");
}
