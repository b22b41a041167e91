// Glance disk formats as nova's force_raw_images sees them: these are converted to raw in
// nova's image cache (`qemu-img convert -O raw`); every other format (raw, iso, aki, ari, ami)
// is raw data already. Values are qemu-img's names for the formats.
export const QEMU_FORMAT_OF_DISK_FORMAT: Readonly<Record<string, string>> = {
  qcow2: "qcow2",
  vmdk: "vmdk",
  vdi: "vdi",
  vhd: "vpc",
  vhdx: "vhdx",
  ploop: "parallels",
};

export function needsConversion(diskFormat: string | null | undefined): boolean {
  return diskFormat != null && Object.hasOwn(QEMU_FORMAT_OF_DISK_FORMAT, diskFormat);
}
