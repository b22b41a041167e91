// Streams image data → (source hash check) → parallel gzip → (seal) → sha256 → temp file, then fsyncs
// and renames into its content-addressed name. The image never sits whole in memory.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AppError, toDiskError } from "../errors.ts";
import { fsyncPath } from "../../shared/files.ts";
import { artifactFile, sealedArtifactDir, sealedArtifactFile } from "./artifact-paths.ts";
import { createSealingStream } from "./encrypt-artifact.ts";
import { createParallelGzip } from "./parallel-gzip.ts";

export type CompressOptions = {
  imageId: string;
  source: Readable;
  artifactDir: string;
  level: number;
  /** Glance's hash of the image data: a mismatch means the source is corrupt, so nothing is published. */
  expectedHash?: { algo: string; value: string } | null;
  onProgress?: (bytesRead: number) => void;
  signal?: AbortSignal;
  /** Seal (encrypt) the gzip stream with this artifact key: the file is then named by the ciphertext alone. */
  sealWith?: Buffer | null;
};

export type CompressedArtifact = { path: string; sha256: string; compressedSize: number; sourceSize: number };

export async function compressToArtifact(options: CompressOptions): Promise<CompressedArtifact> {
  const dir = options.sealWith ? sealedArtifactDir(options.artifactDir) : path.join(options.artifactDir, options.imageId);
  await fs.promises.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.tmp-${crypto.randomBytes(6).toString("hex")}.gz`);
  const sourceHash = options.expectedHash ? crypto.createHash(options.expectedHash.algo) : null;
  const artifactHash = crypto.createHash("sha256");
  let sourceSize = 0;
  let compressedSize = 0;
  const readSide = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sourceSize += chunk.length;
      sourceHash?.update(chunk);
      options.onProgress?.(sourceSize);
      done(null, chunk);
    },
  });
  const writeSide = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      compressedSize += chunk.length;
      artifactHash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(
      options.source,
      readSide,
      createParallelGzip({ level: options.level }),
      ...(options.sealWith ? [createSealingStream({ key: options.sealWith })] : []),
      writeSide,
      fs.createWriteStream(temp, { mode: 0o644, highWaterMark: 1 << 20 }),
      ...(options.signal ? [{ signal: options.signal }] : []),
    );
    await fsyncPath(temp);
    if (sourceHash && options.expectedHash) {
      const digest = sourceHash.digest("hex");
      if (digest !== options.expectedHash.value.toLowerCase()) {
        throw new AppError(
          "GLANCE_ERROR",
          `image ${options.imageId}: ${options.expectedHash.algo} of the data read is ${digest}, Glance says ${options.expectedHash.value}`,
        );
      }
    }
    const sha256 = artifactHash.digest("hex");
    const finalPath = options.sealWith
      ? sealedArtifactFile(options.artifactDir, sha256)
      : artifactFile(options.artifactDir, options.imageId, sha256);
    await fs.promises.rename(temp, finalPath);
    return { path: finalPath, sha256, compressedSize, sourceSize };
  } catch (error) {
    await fs.promises.rm(temp, { force: true });
    throw toDiskError(error, `artifact for image ${options.imageId}`);
  }
}
