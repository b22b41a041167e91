// Disk images a tenant could upload, made with real qemu-img/qemu-io or by writing bytes: good
// ones, and ones that would make qemu read files of the hypervisor.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export const hasQemu = spawnSync("qemu-img", ["--version"]).status === 0 && spawnSync("qemu-io", ["--version"]).status === 0;

/** Skips a qemu test on a bare laptop with the reason printed; under CI=true a missing qemu-img fails. */
export function requireQemu(suite: string): boolean {
  if (hasQemu) return true;
  if (process.env.CI) throw new Error(`CI=true but qemu-img/qemu-io are missing for ${suite}: .ci/run installs qemu-utils`);
  console.warn(`${suite} skipped: qemu-img and qemu-io (Debian package qemu-utils) are not installed`);
  return false;
}

export function qemuImg(...args: string[]): void {
  execFileSync("qemu-img", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** A qcow2 with data written at two places, so a conversion has something to compare. */
export function goodQcow2(dir: string, name = "good.qcow2", extra: string[] = []): string {
  const file = path.join(dir, name);
  qemuImg("create", "-q", "-f", "qcow2", ...extra, file, "8M");
  execFileSync("qemu-io", ["-f", "qcow2", "-c", "write -P 0xab 1M 64k", file], { stdio: "ignore" });
  return file;
}

/** The same content in another format, converted by qemu-img (subformat e.g. streamOptimized). */
export function convertedImage(source: string, dir: string, format: string, subformat?: string): string {
  const file = path.join(dir, `good-${subformat ?? format}.${format}`);
  qemuImg("convert", "-f", "qcow2", "-O", format, ...(subformat ? ["-o", `subformat=${subformat}`] : []), source, file);
  return file;
}

/** A host file with recognisable content: what an attack would copy into the cache. */
export function hostSecret(dir: string): { file: string; content: string } {
  const file = path.join(dir, "nova.conf");
  const content = `[DEFAULT]\ntransport_url = rabbit://nova:HOST-SECRET-${process.pid}@rabbit\n`;
  fs.writeFileSync(file, content.padEnd(1024, "#"));
  return { file, content };
}

/** A VMDK descriptor file (no data of its own) whose extent is a host file: flat, vmfs… */
export function descriptorVmdk(hostFile: string, extentType = "FLAT", createType = "monolithicFlat"): Buffer {
  const text = `# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="${createType}"\n\n# Extent description\nRW 2 ${extentType} "${hostFile}" 0\n\nddb.adapterType = "ide"\n`;
  return Buffer.from(text);
}

/** A real monolithicSparse VMDK whose capacity is 0 and whose embedded descriptor names a host file. */
export function sparseVmdkNamingHostFile(dir: string, hostFile: string): Buffer {
  const sparse = path.join(dir, "sparse-evil.vmdk");
  qemuImg("create", "-q", "-f", "vmdk", "-o", "subformat=monolithicSparse", sparse, "1M");
  const data = fs.readFileSync(sparse);
  data.writeBigUInt64LE(0n, 12); // capacity 0: qemu opens the embedded descriptor as a descriptor file
  const descriptorSectors = Number(data.readBigUInt64LE(36));
  const descriptor = `# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType="monolithicFlat"\nRW 2 FLAT "${hostFile}" 0\n`;
  data.fill(0, 512, 512 + descriptorSectors * 512);
  data.write(descriptor, 512, "latin1");
  return data;
}

/** Rewrites the embedded descriptor of a sparse VMDK (capacity unchanged). */
export function withEmbeddedDescriptor(vmdk: Buffer, descriptor: string): Buffer {
  const data = Buffer.from(vmdk);
  const sectors = Number(data.readBigUInt64LE(36));
  data.fill(0, 512, 512 + sectors * 512);
  data.write(descriptor, 512, "latin1");
  return data;
}

/** An empty qcow2 (a few hundred KiB at most) whose header declares a disk of `virtualSize` bytes. */
export function qcow2Declaring(dir: string, virtualSize: number): Buffer {
  const file = path.join(dir, `declaring-${virtualSize}.qcow2`);
  qemuImg("create", "-q", "-f", "qcow2", file, String(virtualSize));
  return fs.readFileSync(file);
}

export function qcow2WithBackingFile(dir: string, backing: string): Buffer {
  const file = path.join(dir, "overlay.qcow2");
  qemuImg("create", "-q", "-f", "qcow2", "-b", backing, "-F", "raw", file);
  return fs.readFileSync(file);
}

export function qcow2WithDataFile(dir: string, dataFile: string): Buffer {
  const file = path.join(dir, "with-data-file.qcow2");
  qemuImg("create", "-q", "-f", "qcow2", "-o", `data_file=${dataFile}`, file, "1M");
  return fs.readFileSync(file);
}

/** Where a qcow2 table entry keeps the host offset (bits 9-55). */
const QCOW2_OFFSET_MASK = 0x00ff_ffff_ffff_fe00n;

/**
 * A qcow2 of `virtualSize` bytes whose every L2 entry points at one data cluster of 0xab: a few
 * hundred KiB that qemu reads (and converts) as `virtualSize` bytes of data. qemu-img info and
 * the format inspector find nothing wrong with it.
 */
export function qcow2OneClusterEverywhere(dir: string, virtualSize: number): Buffer {
  const file = path.join(dir, `one-cluster-${virtualSize}.qcow2`);
  qemuImg("create", "-q", "-f", "qcow2", file, String(virtualSize));
  const clusterSize = 64 * 1024;
  const perL2Table = (clusterSize / 8) * clusterSize;
  const writes: string[] = [];
  for (let offset = 0; offset < virtualSize; offset += perL2Table) writes.push("-c", `write -P 0xab ${offset} 64k`);
  execFileSync("qemu-io", ["-f", "qcow2", ...writes, file], { stdio: "ignore" });
  const data = fs.readFileSync(file);
  const l1Offset = Number(data.readBigUInt64BE(40));
  const dataCluster = data.readBigUInt64BE(Number(data.readBigUInt64BE(l1Offset) & QCOW2_OFFSET_MASK)) & QCOW2_OFFSET_MASK;
  for (let table = 0; table * perL2Table < virtualSize; table++) {
    const l2 = Number(data.readBigUInt64BE(l1Offset + table * 8) & QCOW2_OFFSET_MASK);
    for (let entry = 0; entry < clusterSize / 8 && table * perL2Table + entry * clusterSize < virtualSize; entry++)
      data.writeBigUInt64BE(dataCluster, l2 + entry * 8);
  }
  return data;
}
