// What every format inspector returns. Its own module so the inspectors and inspect-image.ts
// (which runs them) do not import each other.
export type DetectedFormat = "raw" | "qcow2" | "vmdk" | "vhd" | "vhdx" | "vdi" | "iso" | "ploop" | "luks" | "qed";

/**
 * One format's verdict: `unsafe` says why the image must be refused, or is null; `virtualSize`
 * is the disk's size its header declares (what a raw copy of it holds), null where the format
 * has none of its own (raw data, ISO) or it was not read.
 */
export type FormatFinding = { format: DetectedFormat; unsafe: string | null; virtualSize: number | null };

/** A virtual size read from a header as an unsigned 64-bit number (precision beyond 2^53 does not matter to a bound). */
export const byteCount = (value: bigint): number => Number(value);
