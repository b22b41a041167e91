// nova's `force_raw_images` (default True): nova converts every non-raw image to raw in `_base`
// and from then on treats the file there as raw. A qcow2 file placed as-is would be handed to
// guests as a raw disk. So, like nova's own fetch_to_raw, a verified download in another format
// is converted with `qemu-img convert -O raw` into `<name>.converted` (fsynced), which then
// replaces the download. Like nova since CVE-2024-32498, images that name a backing file or an
// external data file are refused: they would make qemu-img read files of the hypervisor.
import { execFile } from "node:child_process";
import fs from "node:fs";
import { promisify } from "node:util";
import { QEMU_FORMAT_OF_DISK_FORMAT } from "../../protocol/disk-formats.ts";
import { AgentError } from "../agent-error.ts";
import { fsyncPath } from "./fsync-path.ts";

const run = promisify(execFile);

export const CONVERTED_SUFFIX = ".converted";

/** The parts of `qemu-img info --output=json` we read: files the image would make qemu open. */
type QemuInfo = { "backing-filename"?: string; "format-specific"?: { data?: { "data-file"?: string } } };

/**
 * Converts the verified download `source` (in Glance's `diskFormat`) to raw at `target`.
 * Returns the raw file's size. Leaves nothing at `target` on failure.
 */
export async function convertToRaw(options: { source: string; target: string; diskFormat: string; imageId: string; signal?: AbortSignal }): Promise<number> {
  const format = QEMU_FORMAT_OF_DISK_FORMAT[options.diskFormat];
  const what = `image ${options.imageId} (${options.diskFormat})`;
  const info = await qemu(["info", "--output=json", "-f", format, options.source], what, options.signal);
  const parsed = JSON.parse(info) as QemuInfo;
  const externalFile = parsed["backing-filename"] ?? parsed["format-specific"]?.data?.["data-file"];
  if (externalFile) {
    throw new AgentError("UNSAFE_IMAGE", `${what} refers to another file (${JSON.stringify(externalFile)}): refused, as nova refuses it`);
  }
  try {
    await qemu(["convert", "-f", format, "-O", "raw", options.source, options.target], what, options.signal);
    await fsyncPath(options.target);
    return (await fs.promises.stat(options.target)).size;
  } catch (error) {
    await fs.promises.rm(options.target, { force: true });
    throw error;
  }
}

async function qemu(args: string[], what: string, signal?: AbortSignal): Promise<string> {
  try {
    const { stdout } = await run("qemu-img", args, { signal, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (signal?.aborted) throw new AgentError("ABORTED", "download aborted");
    if (failure.code === "ENOENT") {
      throw new AgentError(
        "CONVERT_UNAVAILABLE",
        `${what} must be converted to raw for nova's force_raw_images, and qemu-img is not installed: install qemu-utils, or start the agent with --force-raw-images=false if nova runs with force_raw_images = False`,
      );
    }
    const stderr = (failure.stderr ?? failure.message).trim();
    if (/No space left on device|ENOSPC/i.test(stderr)) throw new AgentError("DISK_FULL", `no space left converting ${what} to raw`);
    throw new AgentError("CONVERT_FAILED", `qemu-img ${args[0]} of ${what} failed: ${stderr}`);
  }
}
