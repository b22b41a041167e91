// A fresh machine gets one small generated image, so the whole flow works with no Glance.
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { imageLikeStream } from "./image-like-data.ts";

export const SAMPLE_IMAGE_NAME = "precache-sample.raw";
export const SAMPLE_IMAGE_BYTES = 32 * 1024 * 1024;

/** Writes the sample only when the directory is new or empty; returns its path if written. */
export async function seedSampleImage(imageDir: string): Promise<string | null> {
  await fs.promises.mkdir(imageDir, { recursive: true });
  const existing = (await fs.promises.readdir(imageDir)).filter((name) => !name.startsWith("."));
  if (existing.length > 0) return null;
  const target = path.join(imageDir, SAMPLE_IMAGE_NAME);
  const temp = path.join(imageDir, `.${SAMPLE_IMAGE_NAME}.tmp`);
  await pipeline(imageLikeStream(SAMPLE_IMAGE_BYTES, 42), fs.createWriteStream(temp));
  await fs.promises.rename(temp, target);
  return target;
}
