// nova's `force_raw_images` (default True): nova converts every non-raw image to raw in `_base`
// and from then on treats the file there as raw. A qcow2 file placed as-is would be handed to
// guests as a raw disk. So, like nova's own fetch_to_raw, a verified and inspected download in
// another format is converted with `qemu-img convert -O raw`. `qemu-img info` checks once more
// that the image opens no other file (the inspector has already refused those), and the raw copy
// is written in a fresh private directory, where nothing planted can redirect qemu-img's output,
// under a file-size limit (the caller's bound: the free space less a margin).
import fs from "node:fs";
import path from "node:path";
import { QEMU_FORMAT_OF_DISK_FORMAT } from "../../protocol/disk-formats.ts";
import { AgentError } from "../agent-error.ts";
import { fsyncPath } from "../../shared/files.ts";
import { CONVERT_LIMITS, INFO_LIMITS, INHERITED_IMAGE, runQemuImg } from "./run-qemu-img.ts";

export const CONVERTED_SUFFIX = ".converted";
/** Private (0700) directories for conversions, inside the cache dir so the rename stays on one filesystem. */
export const CONVERT_DIR_PREFIX = ".precache-convert-";

/** The parts of `qemu-img info --output=json` we read: files the image would make qemu open. */
type QemuInfo = {
  format?: string;
  "backing-filename"?: string;
  "full-backing-filename"?: string;
  "format-specific"?: { type?: string; data?: { "data-file"?: string; "create-type"?: string; extents?: { filename?: string }[] } };
};

export type ConvertedImage = { file: string; dir: string; bytes: number };

/**
 * Converts the verified download open as `sourceFd` (in Glance's `diskFormat`) to raw, in a new
 * private directory under `cacheDir`. The caller renames `file` and removes `dir`; on failure
 * nothing is left.
 */
export async function convertToRaw(options: {
  sourceFd: number;
  cacheDir: string;
  fileName: string;
  diskFormat: string;
  imageId: string;
  /** No byte of the raw copy beyond this (RLIMIT_FSIZE): qemu-img fails with CONVERT_TOO_LARGE instead. */
  maxRawBytes: number;
  signal?: AbortSignal;
}): Promise<ConvertedImage> {
  const format = QEMU_FORMAT_OF_DISK_FORMAT[options.diskFormat];
  const what = `image ${options.imageId} (${options.diskFormat})`;
  const run = (args: string[], limits: typeof INFO_LIMITS) =>
    runQemuImg(args, { imageFd: options.sourceFd, limits, what, signal: options.signal });
  const info = JSON.parse(await run(["info", "--output=json", "-f", format, INHERITED_IMAGE], INFO_LIMITS)) as QemuInfo;
  const refusal = infoRefusal(info, format);
  if (refusal) throw new AgentError("UNSAFE_IMAGE", `${what}: qemu-img info: ${refusal}: refused, as nova refuses it`);
  const dir = await fs.promises.mkdtemp(path.join(options.cacheDir, CONVERT_DIR_PREFIX));
  try {
    const file = path.join(dir, options.fileName + CONVERTED_SUFFIX);
    await run(["convert", "-f", format, "-O", "raw", INHERITED_IMAGE, file], { ...CONVERT_LIMITS, fileSizeBytes: options.maxRawBytes });
    await fsyncPath(file);
    return { file, dir, bytes: (await fs.promises.lstat(file)).size };
  } catch (error) {
    await fs.promises.rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Why qemu's own reading of the image is unacceptable, or null. */
export function infoRefusal(info: QemuInfo, format: string): string | null {
  if (info.format !== format) return `format is ${JSON.stringify(info.format)}, not ${format}`;
  const backing = info["backing-filename"] ?? info["full-backing-filename"];
  if (backing) return `it refers to another file (${JSON.stringify(backing)})`;
  const data = info["format-specific"]?.data;
  if (data?.["data-file"]) return `it refers to another file (${JSON.stringify(data["data-file"])})`;
  if (format === "vmdk") {
    const createType = data?.["create-type"];
    if (createType !== "monolithicSparse" && createType !== "streamOptimized") return `VMDK create type ${JSON.stringify(createType)}`;
    const other = (data?.extents ?? []).find((extent) => extent.filename !== INHERITED_IMAGE);
    if (other) return `it refers to another file (${JSON.stringify(other.filename)})`;
  }
  return null;
}
