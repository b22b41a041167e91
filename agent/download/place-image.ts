// fetch (through Squid) → (open sealed chunks) → gunzip → hash → <sha1(id)>.part (created exclusively, never through a
// symlink) → fsync → verify → inspect the format → (convert to raw for nova's force_raw_images)
// → rename, unless nova's name is in use. Nothing appears under the final name unless it is
// complete, matches Glance's hash and is safely the format Glance declares.
import crypto from "node:crypto";
import fs from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { AgentError } from "../agent-error.ts";
import { artifactStream } from "./artifact-chunks.ts";
import { assertReplaceable, assertSameFile, openPartFile, writeInto } from "./cache-files.ts";
import { baseFilePath, partFilePath } from "./cache-paths.ts";
import { baseFileName } from "../../protocol/nova-files.ts";
import { needsConversion } from "../../protocol/disk-formats.ts";
import { convertToRaw } from "./convert-to-raw.ts";
import { createSealedReader } from "./sealed-reader.ts";
import { fsyncPath } from "../../shared/files.ts";
import { fileImageBytes } from "./image-bytes.ts";
import { assertRoom, assertVirtualSize, freeSpaceGuard, inflatedBound } from "./byte-bounds.ts";
import { checkImageFormat } from "./inspect-image.ts";

export type HashSpec = { algo: "md5" | "sha1" | "sha256" | "sha384" | "sha512"; value: string };

export type PlaceImageOptions = {
  imageId: string;
  artifactUrl: string;
  hash: HashSpec;
  cacheDir: string;
  proxies: string[];
  allowDirect?: boolean;
  /** Decompressed size if known (Glance's `size`): checked against free space first; the stream stops beyond it. */
  imageSize?: number | null;
  /** The artifact's size if known: no source may send more compressed bytes. */
  compressedSize?: number | null;
  /** Glance's virtual_size if known: an image whose header declares a bigger disk is refused, converted or not. */
  virtualSize?: number | null;
  signal?: AbortSignal;
  idleTimeoutMs?: number;
  /** Called with decompressed bytes written so far (throttle on the caller's side). */
  onProgress?: (bytes: number) => void;
  onRoute?: (route: string, offset: number) => void;
  /** Cap on compressed bytes per second read from the proxy (paced where the body is read). */
  bandwidthBytesPerSecond?: number | null;
  /** Wall-clock time without a new byte after which the download fails (resuming until then). */
  retryBudgetSeconds?: number;
  refreshCache?: boolean;
  /** Glance's disk_format: with `forceRawImages`, anything not raw is converted to raw before it is placed. */
  diskFormat?: string | null;
  /** nova's force_raw_images (default True there): nova treats every base file as raw. */
  forceRawImages?: boolean;
  /** The artifact is sealed with this key (base64): it is opened chunk by chunk before gunzip. */
  sealedKey?: string | null;
  /** Peers of the group holding the artifact, tried before the proxies (see artifact-chunks.ts). */
  peers?: { name: string; url: string; token: string }[];
  onSourceBytes?: (source: string, bytes: number) => void;
  /** Sees every compressed byte in order (the peer spool keeps a copy). */
  onCompressedChunk?: (chunk: Buffer) => void;
};

/** `bytes` is the size of the placed file: the raw size when the image was converted. */
export type PlacedImage = { path: string; bytes: number; compressedBytes: number; seconds: number; convertedFrom: string | null };

const CONVERT_HEARTBEAT_MS = 10_000;

export async function placeImage(options: PlaceImageOptions): Promise<PlacedImage> {
  const started = performance.now();
  const finalPath = baseFilePath(options.cacheDir, options.imageId);
  const partPath = partFilePath(options.cacheDir, options.imageId);
  await fs.promises.mkdir(options.cacheDir, { recursive: true });
  if (options.imageSize != null) await assertRoom(options.cacheDir, options.imageSize, `image needs ${options.imageSize} bytes`);
  await assertReplaceable(options.cacheDir, finalPath, options.imageId); // early, to spare the download; again before the rename
  const part = await openPartFile(partPath);
  try {
    const downloaded = await download(options, part);
    let bytes = downloaded.bytes;
    const what = `image ${options.imageId}`;
    if (options.imageSize != null && bytes !== options.imageSize) {
      throw new AgentError("SIZE_MISMATCH", `${what}: got ${bytes} bytes, Glance says ${options.imageSize}`);
    }
    if (downloaded.digest !== options.hash.value.toLowerCase()) {
      throw new AgentError(
        "HASH_MISMATCH",
        `${what}: ${options.hash.algo} of the data is ${downloaded.digest}, Glance says ${options.hash.value}`,
      );
    }
    // Every image, converted or not: nothing reaches nova's name unless it is safely what Glance says.
    const image = checkImageFormat(fileImageBytes(part.fd, bytes), options.diskFormat ?? null, what);
    assertVirtualSize(image.virtualSize, options.virtualSize ?? null, what);
    const isConverted = options.forceRawImages === true && needsConversion(options.diskFormat);
    if (isConverted) {
      // The raw copy holds up to the virtual size of data (one qcow2 cluster can stand for all of
      // it); where the header has no size, at least the data. It must fit, and qemu-img may not
      // write beyond the room (free space less the margin) whatever it makes of the header.
      const room = await assertRoom(
        options.cacheDir,
        image.virtualSize ?? bytes,
        image.virtualSize === null
          ? `its raw copy needs at least ${bytes} bytes`
          : `its raw copy needs up to ${image.virtualSize} bytes (its virtual size)`,
      );
      // Conversion reports no bytes of its own: repeat the last figure so the server's
      // no-progress timeout sees a live node during a long qemu-img run.
      const heartbeat = setInterval(() => options.onProgress?.(bytes), CONVERT_HEARTBEAT_MS);
      const converted = await convertToRaw({
        sourceFd: part.fd,
        cacheDir: options.cacheDir,
        fileName: baseFileName(options.imageId),
        diskFormat: options.diskFormat!,
        imageId: options.imageId,
        maxRawBytes: room,
        signal: options.signal,
      }).finally(() => clearInterval(heartbeat));
      try {
        await assertReplaceable(options.cacheDir, finalPath, options.imageId);
        await fs.promises.rename(converted.file, finalPath);
      } finally {
        await fs.promises.rm(converted.dir, { recursive: true, force: true });
      }
      await fs.promises.rm(partPath, { force: true });
      bytes = converted.bytes;
    } else {
      await assertSameFile(part, partPath);
      await assertReplaceable(options.cacheDir, finalPath, options.imageId);
      await fs.promises.rename(partPath, finalPath);
    }
    await fsyncPath(options.cacheDir);
    return {
      path: finalPath,
      bytes,
      compressedBytes: downloaded.compressedBytes,
      seconds: (performance.now() - started) / 1000,
      convertedFrom: isConverted ? options.diskFormat! : null,
    };
  } catch (error) {
    await removeOwnPart(part, partPath);
    throw error;
  } finally {
    await part.close();
  }
}

/**
 * fetch → gunzip → hash → the open .part file, fsynced. Bounded whatever the sources send:
 * compressed bytes by the artifact's size, inflated bytes by Glance's size, all of them by the
 * free space less a margin (re-read while writing).
 */
async function download(options: PlaceImageOptions, part: FileHandle): Promise<{ bytes: number; compressedBytes: number; digest: string }> {
  const hasher = crypto.createHash(options.hash.algo);
  let bytes = 0;
  let compressedBytes = 0;
  const countCompressed = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      compressedBytes += chunk.length;
      options.onCompressedChunk?.(chunk);
      done(null, chunk);
    },
  });
  const hashAndCount = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hasher.update(chunk);
      bytes += chunk.length;
      options.onProgress?.(bytes);
      done(null, chunk);
    },
  });
  const gunzip = zlib.createGunzip({ chunkSize: 256 * 1024 });
  const sealed = options.sealedKey ? createSealedReader(options.sealedKey) : null;
  const what = `image ${options.imageId}`;
  try {
    await pipeline(
      [
        artifactStream({
          url: options.artifactUrl,
          proxies: options.proxies,
          allowDirect: options.allowDirect ?? false,
          signal: options.signal,
          idleTimeoutMs: options.idleTimeoutMs,
          onRoute: options.onRoute,
          refreshCache: options.refreshCache,
          bandwidthBytesPerSecond: options.bandwidthBytesPerSecond,
          resume: options.retryBudgetSeconds === undefined ? undefined : { budgetMs: options.retryBudgetSeconds * 1000 },
          resumeFrom: sealed?.resumeFrom,
          peers: options.peers,
          onSourceBytes: options.onSourceBytes,
          maxBytes: options.compressedSize ?? null,
        }),
        countCompressed,
        ...(sealed ? [sealed.opening] : []),
        gunzip,
        ...(options.imageSize == null ? [] : [inflatedBound(options.imageSize, what)]),
        freeSpaceGuard(options.cacheDir, what),
        hashAndCount,
        writeInto(part),
      ],
      { signal: options.signal },
    );
    await part.sync();
  } catch (error) {
    throw classify(error, options.signal);
  }
  return { bytes, compressedBytes, digest: hasher.digest("hex") };
}

/** Removes the .part only if it is still the file we created (never someone else's). */
async function removeOwnPart(part: FileHandle, partPath: string): Promise<void> {
  const isOurs = await assertSameFile(part, partPath).then(
    () => true,
    () => false,
  );
  if (isOurs) await fs.promises.rm(partPath, { force: true });
}

function classify(error: unknown, signal?: AbortSignal): unknown {
  if (error instanceof AgentError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  if (signal?.aborted || (error as Error)?.name === "AbortError") return new AgentError("ABORTED", "download aborted");
  if (code === "ENOSPC" || code === "EDQUOT") return new AgentError("DISK_FULL", "no space left on device", { cause: error });
  if (code === "Z_DATA_ERROR" || code === "Z_BUF_ERROR" || code === "ERR_ZLIB") {
    return new AgentError("DECOMPRESS_FAILED", `artifact is not valid gzip: ${(error as Error).message}`, { cause: error });
  }
  return new AgentError("WRITE_FAILED", (error as Error)?.message ?? String(error), { cause: error });
}
