// What every format inspector returns. Its own module so the inspectors and inspect-image.ts
// (which runs them) do not import each other.
export type DetectedFormat = "raw" | "qcow2" | "vmdk" | "vhd" | "vhdx" | "vdi" | "iso" | "ploop" | "luks" | "qed";

/** One format's verdict: `unsafe` says why the image must be refused, or is null. */
export type FormatFinding = { format: DetectedFormat; unsafe: string | null };
