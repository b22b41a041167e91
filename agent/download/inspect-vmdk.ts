// VMDK as qemu reads it: a text descriptor lists "extents", the files holding the data. A
// descriptor file names other files by design (monolithicFlat, vmfs, twoGbMaxExtent…: CVE-2024-32498),
// so like nova (vmdk_allowed_types) we accept only the single-file sparse kinds, whose descriptor is
// embedded, and check that descriptor line by line.
import type { ImageBytes } from "./image-bytes.ts";
import { byteCount, type FormatFinding } from "./format-finding.ts";
import { printable } from "./inspect-qcow2.ts";

const ALLOWED_CREATE_TYPES = ["monolithicSparse", "streamOptimized"];
const SECTOR = 512;
/** qemu reads an embedded descriptor at sector 1, at most 1 MiB long. */
const DESCRIPTOR_SECTOR = 1n;
const MAX_DESCRIPTOR_SECTORS = 2048n;
/** qemu probes a text file as a VMDK descriptor when a line of its first 2 KiB is `version=1|2|3`. */
const DESCRIPTOR_FILE_PROBE = /(^|[\r\n])[ \t]*(version[ \t]*=[ \t]*"?[123]"?[ \t]*(\r?\n|$)|createType[ \t]*=)/;

export function inspectVmdk(bytes: ImageBytes): FormatFinding | null {
  const head = bytes.read(0, SECTOR);
  const magic = head.subarray(0, 4).toString("latin1");
  // A sparse extent's capacity, in sectors, is the disk's size.
  if (magic === "KDMV")
    return {
      format: "vmdk",
      unsafe: sparseProblem(bytes, head),
      virtualSize: head.length >= 20 ? byteCount(head.readBigUInt64LE(12)) * SECTOR : null,
    };
  if (magic === "COWD")
    return {
      format: "vmdk",
      unsafe: "VMDK3 (COWD) image: only monolithicSparse and streamOptimized VMDKs are accepted",
      virtualSize: null,
    };
  const probe = bytes.read(0, 2048).toString("latin1");
  if (DESCRIPTOR_FILE_PROBE.test(probe)) return { format: "vmdk", unsafe: descriptorFileProblem(bytes), virtualSize: null };
  return null;
}

function sparseProblem(bytes: ImageBytes, header: Buffer): string | null {
  if (header.length < SECTOR) return `truncated VMDK header (${header.length} bytes)`;
  const version = header.readUInt32LE(4);
  if (version < 1 || version > 3) return `VMDK version ${version} (only 1-3 exist)`;
  // With no capacity, qemu opens the embedded descriptor as a descriptor file: its extents become other files.
  if (header.readBigUInt64LE(12) === 0n) return "sparse VMDK with capacity 0: qemu would open the files its descriptor names";
  const descriptorSector = header.readBigUInt64LE(28);
  const descriptorSectors = header.readBigUInt64LE(36);
  if (descriptorSector !== DESCRIPTOR_SECTOR) return `VMDK descriptor at sector ${descriptorSector}, not 1`;
  if (descriptorSectors < 1n || descriptorSectors > MAX_DESCRIPTOR_SECTORS) return `VMDK descriptor of ${descriptorSectors} sectors`;
  const length = Number(descriptorSectors) * SECTOR;
  const raw = bytes.read(SECTOR, length);
  if (raw.length < length) return "truncated VMDK descriptor";
  return descriptorProblem(raw);
}

/** The embedded descriptor of a sparse VMDK: every line understood, one sparse extent, no parent. */
function descriptorProblem(raw: Buffer): string | null {
  const end = raw.indexOf(0);
  const text = raw.subarray(0, end === -1 ? raw.length : end);
  if (text.some((byte) => byte > 0x7e || (byte < 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09)))
    return "VMDK descriptor is not plain ASCII text";
  const descriptor = parseDescriptor(text.toString("latin1"));
  if (typeof descriptor === "string") return descriptor;
  const createType = descriptor.fields.get("createtype") ?? "";
  if (!ALLOWED_CREATE_TYPES.some((allowed) => allowed.toLowerCase() === createType.toLowerCase())) {
    return `VMDK createType ${printable(createType)}: only ${ALLOWED_CREATE_TYPES.join(" and ")} are accepted`;
  }
  if (descriptor.fields.has("parentfilenamehint"))
    return `VMDK descriptor names a parent file ${printable(descriptor.fields.get("parentfilenamehint")!)}`;
  const parentCid = descriptor.fields.get("parentcid");
  if (parentCid !== undefined && parentCid.toLowerCase() !== "ffffffff")
    return `VMDK descriptor has a parent (parentCID ${printable(parentCid)})`;
  if (descriptor.extents.length !== 1) return `VMDK descriptor lists ${descriptor.extents.length} extents, not 1`;
  const extent = descriptor.extents[0];
  if (extent.type !== "sparse") return `VMDK extent of type ${printable(extent.type)} names the file ${printable(extent.file)}`;
  if (/[/\\]/.test(extent.file)) return `VMDK extent names the file ${printable(extent.file)}`;
  return null;
}

type Extent = { access: string; type: string; file: string };
type Descriptor = { fields: Map<string, string>; extents: Extent[] };

const EXTENT_LINE = /^(rw|rdonly|noaccess)\s+\d+\s+([a-z]+)(?:\s+"([^"]*)"(?:\s+\d+)?)?$/i;
const FIELD_LINE = /^([A-Za-z][A-Za-z0-9._]*)\s*=\s*"?([^"]*)"?$/;

/** Parses a descriptor cautiously: a line we do not understand refuses the image (returns why). */
export function parseDescriptor(text: string): Descriptor | string {
  const fields = new Map<string, string>();
  const extents: Extent[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const extent = EXTENT_LINE.exec(line);
    if (extent) {
      extents.push({ access: extent[1].toLowerCase(), type: extent[2].toLowerCase(), file: extent[3] ?? "" });
      continue;
    }
    const field = FIELD_LINE.exec(line);
    if (field) {
      if (!field[1].toLowerCase().startsWith("ddb.")) fields.set(field[1].toLowerCase(), field[2]);
      continue;
    }
    return `VMDK descriptor line not understood: ${printable(line, 80)}`;
  }
  return { fields, extents };
}

/** A bare descriptor file: refused whatever it says, naming the files it would make qemu read. */
function descriptorFileProblem(bytes: ImageBytes): string {
  const parsed = parseDescriptor(bytes.read(0, 64 * 1024).toString("latin1"));
  if (typeof parsed === "string") return `VMDK descriptor file (its extents would be other files); ${parsed}`;
  const files = parsed.extents.map((extent) => printable(extent.file)).join(", ");
  const createType = printable(parsed.fields.get("createtype") ?? "");
  return `VMDK descriptor file (createType ${createType}) whose data lives in other files${files ? `: ${files}` : ""}`;
}
