// qemu-img on hostile images runs as nova runs it: under prlimit (CPU seconds, address space) so
// a crafted header cannot make it spin or eat the hypervisor's memory, with the format always
// given (-f, never probed), reading the inspected download through an inherited descriptor. A
// conversion also runs under a file-size limit (RLIMIT_FSIZE), so its output cannot fill the disk.
import { spawn } from "node:child_process";
import { AgentError } from "../agent-error.ts";

/** `fileSizeBytes`: no file qemu-img writes may grow beyond it (its raw output, created at the virtual size). */
export type QemuLimits = { cpuSeconds: number; addressSpaceBytes?: number; fileSizeBytes?: number };

/** nova's QEMU_IMG_LIMITS for `qemu-img info`. */
export const INFO_LIMITS: QemuLimits = { cpuSeconds: 30, addressSpaceBytes: 1024 * 1024 * 1024 };
/** A conversion reads the whole image: an hour of CPU is far beyond any real one. */
export const CONVERT_LIMITS: QemuLimits = { cpuSeconds: 3600 };

/** How qemu-img names the image passed as descriptor 3. */
export const INHERITED_IMAGE = "/dev/fd/3";

export function runQemuImg(
  args: string[],
  options: { imageFd: number; limits: QemuLimits; what: string; signal?: AbortSignal },
): Promise<string> {
  const limits = [
    `--cpu=${options.limits.cpuSeconds}`,
    ...(options.limits.addressSpaceBytes ? [`--as=${options.limits.addressSpaceBytes}`] : []),
    ...(options.limits.fileSizeBytes === undefined ? [] : [`--fsize=${Math.max(0, Math.floor(options.limits.fileSizeBytes))}`]),
  ];
  const child = spawn("prlimit", [...limits, "--", "qemu-img", ...args], {
    stdio: ["ignore", "pipe", "pipe", options.imageFd],
    signal: options.signal,
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let outputBytes = 0;
  const collect = (into: Buffer[]) => (chunk: Buffer) => {
    outputBytes += chunk.length;
    if (outputBytes <= 16 * 1024 * 1024) into.push(chunk);
  };
  child.stdout!.on("data", collect(stdout));
  child.stderr!.on("data", collect(stderr));
  return new Promise((resolve, reject) => {
    child.once("error", (error: NodeJS.ErrnoException) => {
      if (options.signal?.aborted) return reject(new AgentError("ABORTED", "download aborted"));
      if (error.code === "ENOENT") return reject(unavailable(options.what, "prlimit (util-linux) is not installed"));
      reject(new AgentError("CONVERT_FAILED", `cannot run qemu-img for ${options.what}: ${error.message}`));
    });
    child.once("close", (code, signal) => {
      const message = Buffer.concat(stderr).toString("utf8").trim();
      if (code === 0) return resolve(Buffer.concat(stdout).toString("utf8"));
      if (options.signal?.aborted) return reject(new AgentError("ABORTED", "download aborted"));
      if (code === 127 && /qemu-img/.test(message)) return reject(unavailable(options.what, "qemu-img is not installed"));
      if (signal === "SIGXCPU" || signal === "SIGKILL") {
        return reject(
          new AgentError(
            "CONVERT_FAILED",
            `qemu-img ${args[0]} of ${options.what} exceeded its limit of ${options.limits.cpuSeconds} CPU seconds: refused`,
          ),
        );
      }
      // qemu-img ignores SIGXFSZ and reports EFBIG ("File too large"); a process that does not is killed by it.
      if (signal === "SIGXFSZ" || /File too large|EFBIG/i.test(message)) {
        const limit = options.limits.fileSizeBytes;
        return reject(
          new AgentError(
            "CONVERT_TOO_LARGE",
            `qemu-img ${args[0]} of ${options.what} reached its file-size limit of ${limit} bytes (the free space less the margin): refused`,
          ),
        );
      }
      if (/No space left on device|ENOSPC/i.test(message))
        return reject(new AgentError("DISK_FULL", `no space left converting ${options.what} to raw`));
      reject(new AgentError("CONVERT_FAILED", `qemu-img ${args[0]} of ${options.what} failed: ${message || `exit ${code ?? signal}`}`));
    });
  });
}

function unavailable(what: string, reason: string): AgentError {
  return new AgentError(
    "CONVERT_UNAVAILABLE",
    `${what} must be converted to raw for nova's force_raw_images, and ${reason}: install qemu-utils (and util-linux), or start the agent with --force-raw-images=false if nova runs with force_raw_images = False`,
  );
}
