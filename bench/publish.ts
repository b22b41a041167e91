// Publish: compress an image at gzip -6 through Precache's publisher (parallel gzip members,
// source hash check, artifact sha256, fsync), against `gzip -6` and `pigz -6` on the same file.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { compressToArtifact } from "../server/publish/compress-to-artifact.ts";
import { BENCH_DIR, hasCommand, imageInput, machine, mibPerSecond, sh, timed } from "./bench-support.ts";

export async function run(args: string[]): Promise<void> {
  const mib = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 1024);
  const bytes = mib * 2 ** 20;
  console.log(`machine: ${machine()}`);
  const input = await imageInput(bytes);
  const out = path.join(BENCH_DIR, "publish-out");
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const sha512 = crypto.createHash("sha512");
  for await (const chunk of fs.createReadStream(input, { highWaterMark: 1 << 20 })) sha512.update(chunk as Buffer);
  const expectedHash = { algo: "sha512", value: sha512.digest("hex") };
  await sh(`cat ${input} > /dev/null`); // same page-cache state for every contender

  const gzip = await timed(() => sh(`gzip -6 -c ${input} > ${out}/gzip.gz`));
  const gzipSize = fs.statSync(`${out}/gzip.gz`).size;
  const pigz = hasCommand("pigz") ? await timed(() => sh(`pigz -6 -c ${input} > ${out}/pigz.gz`)) : null;
  const precache = await timed(() =>
    compressToArtifact({ imageId: "bench", source: fs.createReadStream(input, { highWaterMark: 1 << 20 }), artifactDir: out, level: 6, expectedHash }),
  );
  await sh(`gunzip -t ${precache.value.path}`);

  const row = (name: string, seconds: number, size: number) =>
    console.log(`${name.padEnd(26)} ${seconds.toFixed(2).padStart(7)} s  ${mibPerSecond(bytes, seconds).padStart(10)}  ${size} B (${(bytes / size).toFixed(2)}:1)`);
  console.log(`input: ${bytes} B image-like data (${input})`);
  row("gzip -6", gzip.seconds, gzipSize);
  if (pigz) row("pigz -6", pigz.seconds, fs.statSync(`${out}/pigz.gz`).size);
  row("precache publish (gzip -6)", precache.seconds, precache.value.compressedSize);
  const sizeRatio = precache.value.compressedSize / gzipSize;
  console.log(`output size vs gzip -6: ${sizeRatio.toFixed(4)} (target ≤ 1.01 → ${sizeRatio <= 1.01 ? "met" : "MISSED"})`);
  const vsGzip = gzip.seconds / precache.seconds;
  const vsPigz = pigz ? pigz.seconds / precache.seconds : null;
  console.log(`targets: ≥ 1.8× gzip -6 → ${vsGzip >= 1.8 ? "met" : "MISSED"}; ≥ 1.0× pigz -6 → ${vsPigz === null ? "n/a (no pigz)" : vsPigz >= 1.0 ? "met" : "MISSED"}`);
  fs.rmSync(out, { recursive: true, force: true });
  console.log(`ratio: ${vsGzip.toFixed(2)} vs gzip -6, ${vsPigz === null ? "n/a" : vsPigz.toFixed(2)} vs pigz -6`);
}
