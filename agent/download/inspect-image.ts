// What a downloaded image really is, read from its own bytes the way nova's format_inspector does
// (never trusting Glance's label or qemu's probing): the detected format must be the one Glance
// declares, and a format that would make qemu open other files of the hypervisor is refused.
import { AgentError } from "../agent-error.ts";
import type { DetectedFormat, FormatFinding } from "./format-finding.ts";
import type { ImageBytes } from "./image-bytes.ts";
import {
  inspectFixedVhd,
  inspectIso,
  inspectLuks,
  inspectPloop,
  inspectQed,
  inspectVdi,
  inspectVhd,
  inspectVhdx,
} from "./inspect-other-formats.ts";
import { inspectQcow2, printable } from "./inspect-qcow2.ts";
import { inspectVmdk } from "./inspect-vmdk.ts";

export type { DetectedFormat, FormatFinding };

const DETECTORS = [inspectQcow2, inspectVmdk, inspectVhd, inspectVhdx, inspectVdi, inspectIso, inspectLuks, inspectQed, inspectPloop];

/** Which detected formats each Glance disk_format may hold. As in nova, an `iso` may be plain raw data. */
const ACCEPTED_FORMATS: Readonly<Record<string, readonly DetectedFormat[]>> = {
  raw: ["raw"],
  aki: ["raw"],
  ari: ["raw"],
  ami: ["raw"],
  iso: ["iso", "raw"],
  qcow2: ["qcow2"],
  vmdk: ["vmdk"],
  vhd: ["vhd"],
  vhdx: ["vhdx"],
  vdi: ["vdi"],
  ploop: ["ploop"],
};

export function inspectImage(bytes: ImageBytes): FormatFinding {
  const findings = DETECTORS.map((detect) => detect(bytes)).filter((finding) => finding !== null);
  if (findings.length > 1)
    return {
      format: findings[0].format,
      unsafe: `the data looks like several formats at once (${findings.map((finding) => finding.format).join(", ")})`,
      virtualSize: null,
    };
  return findings[0] ?? { format: "raw", unsafe: null, virtualSize: null };
}

/** What an image safely is: its format, and the disk size its header declares (null: raw data, the file is the disk). */
export type InspectedImage = { format: DetectedFormat; virtualSize: number | null };

/**
 * Refuses (UNSAFE_IMAGE, FORMAT_MISMATCH) an image that is not safely what Glance says it is;
 * returns the detected format and virtual size. `diskFormat` null (no label) must be raw.
 */
export function checkImageFormat(bytes: ImageBytes, diskFormat: string | null, what: string): InspectedImage {
  const finding = inspectImage(bytes);
  const claimed = diskFormat ?? "raw";
  if (finding.unsafe) {
    const label = finding.format === claimed ? "" : ` (Glance says disk_format ${printable(claimed)})`;
    throw new AgentError("UNSAFE_IMAGE", `${what}: ${finding.unsafe}${label}: refused, as nova refuses it`);
  }
  const accepted = ACCEPTED_FORMATS[claimed];
  if (!accepted)
    throw new AgentError("FORMAT_MISMATCH", `${what}: disk_format ${printable(claimed)} is not one the agent can inspect: refused`);
  if (accepted.includes(finding.format)) return { format: finding.format, virtualSize: finding.virtualSize };
  const fixedVhd = claimed === "vhd" && finding.format === "raw" ? inspectFixedVhd(bytes) : null;
  if (fixedVhd) return { format: "vhd", virtualSize: fixedVhd.virtualSize };
  throw new AgentError(
    "FORMAT_MISMATCH",
    `${what}: Glance says disk_format ${printable(claimed)} but the data is ${finding.format}: refused, as nova refuses it`,
  );
}
