// The formats besides qcow2 and VMDK that qemu would recognise: enough of each header to tell
// the format apart, to refuse the variants that name another file (differencing disks), and to
// read the disk's virtual size where the header holds it.
import type { ImageBytes } from "./image-bytes.ts";
import { byteCount, type FormatFinding } from "./format-finding.ts";

const SECTOR = 512;

const startsWith = (bytes: ImageBytes, offset: number, magic: string) => bytes.read(offset, magic.length).toString("latin1") === magic;

/** VHD (qemu's vpc): dynamic disks start with a copy of the footer; type 4 is a differencing disk. */
export function inspectVhd(bytes: ImageBytes): FormatFinding | null {
  if (!startsWith(bytes, 0, "conectix")) return null;
  const footer = bytes.read(0, 512);
  if (footer.length < 512) return { format: "vhd", unsafe: "truncated VHD footer", virtualSize: null };
  const virtualSize = vhdDiskSize(footer);
  const diskType = footer.readUInt32BE(60);
  if (diskType === 4) return { format: "vhd", unsafe: "differencing VHD: it names a parent file", virtualSize };
  if (diskType !== 2 && diskType !== 3)
    return { format: "vhd", unsafe: `VHD disk type ${diskType} (only fixed and dynamic are accepted)`, virtualSize };
  return { format: "vhd", unsafe: null, virtualSize };
}

/** A fixed VHD is raw data followed by a footer: qemu finds it only at the end. */
export function inspectFixedVhd(bytes: ImageBytes): FormatFinding | null {
  if (bytes.size < 512) return null;
  const footer = bytes.read(bytes.size - 512, 512);
  if (footer.subarray(0, 8).toString("latin1") !== "conectix" || footer.readUInt32BE(60) !== 2) return null;
  return { format: "vhd", unsafe: null, virtualSize: vhdDiskSize(footer) };
}

/**
 * The footer's disk size (its "original size", byte 40), as Glance's and nova's format inspectors
 * read it, so Glance's virtual_size matches. qemu sizes the disk from the current size or the
 * geometry, a few sectors apart: the raw copy's file-size limit (free space) bounds that.
 */
const vhdDiskSize = (footer: Buffer) => byteCount(footer.readBigUInt64BE(40));

/** VirtualBox VDI: only normal (dynamic) and fixed images; undo and diff images have a parent. */
export function inspectVdi(bytes: ImageBytes): FormatFinding | null {
  const header = bytes.read(0, 512);
  if (header.length < 0x44 || header.readUInt32LE(0x40) !== 0xbeda107f) return null;
  if (header.length < 512) return { format: "vdi", unsafe: "truncated VDI header", virtualSize: null };
  const virtualSize = byteCount(header.readBigUInt64LE(0x170));
  const imageType = header.readUInt32LE(0x4c);
  if (imageType !== 1 && imageType !== 2)
    return { format: "vdi", unsafe: `VDI image type ${imageType} (only normal and fixed are accepted)`, virtualSize };
  return { format: "vdi", unsafe: null, virtualSize };
}

/** ISO 9660 / UDF: a volume descriptor at 32 KiB (the system area before it is free-form). Raw data: no size of its own. */
export function inspectIso(bytes: ImageBytes): FormatFinding | null {
  const id = bytes.read(32 * 1024 + 1, 5).toString("latin1");
  return id === "CD001" || id === "NSR02" || id === "NSR03" ? { format: "iso", unsafe: null, virtualSize: null } : null;
}

export function inspectLuks(bytes: ImageBytes): FormatFinding | null {
  return startsWith(bytes, 0, "LUKS\xba\xbe") ? { format: "luks", unsafe: null, virtualSize: null } : null;
}

export function inspectQed(bytes: ImageBytes): FormatFinding | null {
  return startsWith(bytes, 0, "QED\0")
    ? { format: "qed", unsafe: "QED image (it may name a backing file; nobody supports it)", virtualSize: null }
    : null;
}

/** Parallels / ploop: a single self-contained file; its header counts the disk's sectors at byte 36. */
export function inspectPloop(bytes: ImageBytes): FormatFinding | null {
  if (!startsWith(bytes, 0, "WithoutFreeSpace") && !startsWith(bytes, 0, "WithouFreSpacExt")) return null;
  const header = bytes.read(0, 44);
  if (header.length < 44) return { format: "ploop", unsafe: "truncated Parallels header", virtualSize: null };
  return { format: "ploop", unsafe: null, virtualSize: byteCount(header.readBigUInt64LE(36)) * SECTOR };
}

const REGION_TABLE_OFFSET = 192 * 1024;
const METADATA_REGION = "8B7CA206-4790-4B9A-B8FE-575F050F886E";
const FILE_PARAMETERS = "CAA16737-FA36-4D43-B3B6-33F0AA44E76B";
const PARENT_LOCATOR = "A8D35F2D-B30B-454D-ABF7-D3D84834AB0C";
const VIRTUAL_DISK_SIZE = "2FA54224-CD1B-4876-B211-5DBED83BF4B8";
const HAS_PARENT = 0b10;

/** VHDX: region table → metadata table → file parameters; a differencing disk (HasParent, parent locator) is refused. */
export function inspectVhdx(bytes: ImageBytes): FormatFinding | null {
  if (!startsWith(bytes, 0, "vhdxfile")) return null;
  const found: { virtualSize: number | null } = { virtualSize: null };
  return { format: "vhdx", unsafe: vhdxProblem(bytes, found), virtualSize: found.virtualSize };
}

/** Why the VHDX is refused, or null; its virtual disk size goes into `found` when the metadata has it. */
function vhdxProblem(bytes: ImageBytes, found: { virtualSize: number | null }): string | null {
  const table = bytes.read(REGION_TABLE_OFFSET, 64 * 1024);
  if (table.length < 16 || table.subarray(0, 4).toString("latin1") !== "regi") return "VHDX region table not found";
  const regions = table.readUInt32LE(8);
  if (regions > 2047) return `VHDX region table of ${regions} entries`;
  let metadataOffset: number | null = null;
  for (let i = 0; i < regions; i++) {
    const entry = table.subarray(16 + i * 32, 48 + i * 32);
    if (entry.length < 32) return "truncated VHDX region table";
    if (guid(entry) === METADATA_REGION) metadataOffset = Number(entry.readBigUInt64LE(16));
  }
  if (metadataOffset === null) return "VHDX metadata region not found";
  const metadata = bytes.read(metadataOffset, 64 * 1024);
  if (metadata.length < 32 || metadata.subarray(0, 8).toString("latin1") !== "metadata") return "VHDX metadata table not found";
  const items = metadata.readUInt16LE(10);
  if (items > 2047) return `VHDX metadata table of ${items} entries`;
  let hasFileParameters = false;
  for (let i = 0; i < items; i++) {
    const entry = metadata.subarray(32 + i * 32, 64 + i * 32);
    if (entry.length < 32) return "truncated VHDX metadata table";
    const id = guid(entry);
    if (id === PARENT_LOCATOR) return "differencing VHDX: it has a parent locator";
    if (id === VIRTUAL_DISK_SIZE) {
      const size = bytes.read(metadataOffset + entry.readUInt32LE(16), 8);
      if (size.length < 8) return "truncated VHDX virtual disk size";
      found.virtualSize = byteCount(size.readBigUInt64LE(0));
    }
    if (id !== FILE_PARAMETERS) continue;
    const parameters = bytes.read(metadataOffset + entry.readUInt32LE(16), 8);
    if (parameters.length < 8) return "truncated VHDX file parameters";
    if (parameters.readUInt32LE(4) & HAS_PARENT) return "differencing VHDX: it names a parent file";
    hasFileParameters = true;
  }
  return hasFileParameters ? null : "VHDX file parameters not found";
}

/** A Microsoft GUID as text: the first three fields are little-endian. */
function guid(entry: Buffer): string {
  const hex = (from: number, to: number) => entry.subarray(from, to).toString("hex");
  const le = (from: number, to: number) => Buffer.from(entry.subarray(from, to)).reverse().toString("hex");
  return `${le(0, 4)}-${le(4, 6)}-${le(6, 8)}-${hex(8, 10)}-${hex(10, 16)}`.toUpperCase();
}
