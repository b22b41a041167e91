// Random access to a downloaded image for the format inspector: it reads only the few regions it
// asks for (headers, descriptors), from the very file descriptor the download was written to.
import fs from "node:fs";

export type ImageBytes = {
  readonly size: number;
  /** Up to `length` bytes at `offset`: shorter at the end of the file, empty past it. */
  read(offset: number, length: number): Buffer;
};

/** The inspector never needs more than this in one read (a VMDK descriptor is at most 1 MiB). */
const MAX_READ = 2 * 1024 * 1024;

export function bufferImageBytes(data: Buffer): ImageBytes {
  return {
    size: data.length,
    read: (offset, length) =>
      offset < 0 ? Buffer.alloc(0) : data.subarray(Math.min(offset, data.length), Math.min(offset + clamp(length), data.length)),
  };
}

export function fileImageBytes(fd: number, size: number): ImageBytes {
  return {
    size,
    read(offset, length) {
      const wanted = offset < 0 ? 0 : Math.max(0, Math.min(clamp(length), size - offset));
      const buffer = Buffer.alloc(wanted);
      let filled = 0;
      while (filled < wanted) {
        const got = fs.readSync(fd, buffer, filled, wanted - filled, offset + filled);
        if (got === 0) break;
        filled += got;
      }
      return buffer.subarray(0, filled);
    },
  };
}

function clamp(length: number): number {
  return Math.max(0, Math.min(length, MAX_READ));
}
