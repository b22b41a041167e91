// qcow2 as qemu reads it (docs/interop/qcow2.txt): a big-endian header whose offsets make qemu
// open other files (backing file, external data file). We accept only a plain, self-contained,
// unencrypted v2/v3 image with a header qemu would accept, and refuse everything else.
import type { ImageBytes } from "./image-bytes.ts";
import { byteCount, type FormatFinding } from "./format-finding.ts";

const MAGIC = 0x514649fb; // "QFI\xfb"
const V3_HEADER_LENGTH = 104;
/** Incompatible feature bits qemu knows: dirty, corrupt, external data file, compression type, extended L2. */
const KNOWN_INCOMPATIBLE = 0b11111n;
const FEATURE = { corrupt: 0b10n, dataFile: 0b100n };
const EXTENSION_END = 0;
const EXTENSION_DATA_FILE = 0x44415441; // "DATA": the external data file's name
const MAX_EXTENSIONS = 256;

export function inspectQcow2(bytes: ImageBytes): FormatFinding | null {
  const header = bytes.read(0, V3_HEADER_LENGTH);
  if (header.length < 4 || header.readUInt32BE(0) !== MAGIC) return null;
  const virtualSize = header.length >= 32 ? byteCount(header.readBigUInt64BE(24)) : null;
  return { format: "qcow2", unsafe: qcow2Problem(bytes, header), virtualSize };
}

function qcow2Problem(bytes: ImageBytes, header: Buffer): string | null {
  if (header.length < 72) return `truncated qcow2 header (${header.length} bytes)`;
  const version = header.readUInt32BE(4);
  if (version !== 2 && version !== 3) return `qcow2 header version ${version} (only 2 and 3 exist)`;
  const backingOffset = header.readBigUInt64BE(8);
  if (backingOffset !== 0n) return `qcow2 image names a backing file ${backingName(bytes, backingOffset, header.readUInt32BE(16))}`;
  const clusterBits = header.readUInt32BE(20);
  if (clusterBits < 9 || clusterBits > 21) return `qcow2 cluster_bits ${clusterBits} out of range 9-21`;
  const clusterSize = 2 ** clusterBits;
  if (header.readUInt32BE(32) !== 0) return "encrypted qcow2 image";
  const l1Size = header.readUInt32BE(36);
  const l1Offset = header.readBigUInt64BE(40);
  const refcountOffset = header.readBigUInt64BE(48);
  const size = BigInt(bytes.size);
  if (refcountOffset === 0n || refcountOffset % BigInt(clusterSize) !== 0n || refcountOffset >= size) {
    return `qcow2 refcount table offset ${refcountOffset} is not a cluster inside the ${size}-byte file (truncated or forged header)`;
  }
  if (l1Offset % BigInt(clusterSize) !== 0n || (l1Size > 0 && l1Offset >= size)) {
    return `qcow2 L1 table offset ${l1Offset} is not a cluster inside the ${size}-byte file (truncated or forged header)`;
  }
  let headerLength = 72;
  if (version === 3) {
    if (header.length < V3_HEADER_LENGTH) return `truncated qcow2 v3 header (${header.length} bytes)`;
    const incompatible = header.readBigUInt64BE(72);
    if (incompatible & FEATURE.dataFile) return "qcow2 image uses an external data file";
    if (incompatible & FEATURE.corrupt) return "qcow2 image is marked corrupt";
    if (incompatible & ~KNOWN_INCOMPATIBLE) return `qcow2 image has unknown incompatible features 0x${incompatible.toString(16)}`;
    headerLength = header.readUInt32BE(100);
    if (headerLength < V3_HEADER_LENGTH || headerLength % 8 !== 0 || headerLength > clusterSize)
      return `qcow2 header length ${headerLength} is invalid`;
  }
  return extensionProblem(bytes, headerLength, clusterSize);
}

/** Header extensions follow the header inside the first cluster; a data-file name there is refused even without its feature bit. */
function extensionProblem(bytes: ImageBytes, start: number, clusterSize: number): string | null {
  let offset = start;
  for (let count = 0; count < MAX_EXTENSIONS; count++) {
    if (offset + 8 > clusterSize) return "qcow2 header extensions run past the first cluster";
    const entry = bytes.read(offset, 8);
    if (entry.length < 8) return "truncated qcow2 header extensions";
    const magic = entry.readUInt32BE(0);
    if (magic === EXTENSION_END) return null;
    if (magic === EXTENSION_DATA_FILE) return "qcow2 image names an external data file";
    offset += 8 + Math.ceil(entry.readUInt32BE(4) / 8) * 8;
  }
  return `qcow2 image has more than ${MAX_EXTENSIONS} header extensions`;
}

function backingName(bytes: ImageBytes, offset: bigint, length: number): string {
  const name = offset < BigInt(bytes.size) ? bytes.read(Number(offset), Math.min(length, 1023)) : Buffer.alloc(0);
  return printable(name.toString("latin1"));
}

/** A name from hostile bytes, safe to put in a log line or a message. */
export function printable(text: string, max = 200): string {
  const clipped = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(clipped);
}
