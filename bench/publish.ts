// Publish: compress an image at gzip -6 through Precache's publisher (parallel gzip members,
// source hash check, artifact sha256, fsync), against `gzip -6` and `pigz -6` on the same file,
// and the sealed publish of a private image (the same, then encrypted) against the plain one.
// Rounds run the three contenders in turn (a different one first each round) and each figure is
// the median over the rounds: a noisy neighbour then costs all three, not one.
// `npm run bench -- publish [MiB] [--rounds N] [--all-compressible]` (1024 MiB and 3 rounds by
// default; --all-compressible: no random blocks, so no stored segments: the publisher's worst case)
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { compressToArtifact } from "../server/publish/compress-to-artifact.ts";
import { newArtifactKey } from "../server/publish/encrypt-artifact.ts";
import { BENCH_DIR, cpuTimed, hasCommand, imageInput, machine, median, mibPerSecond, sh, timed } from "./bench-support.ts";

export async function run(args: string[]): Promise<void> {
  const roundsAt = args.indexOf("--rounds");
  const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 3;
  // The size is the first number that is not --rounds' value (without --rounds, any first number).
  const mib = Number(args.find((arg, index) => /^\d+$/.test(arg) && (roundsAt < 0 || index !== roundsAt + 1)) ?? 1024);
  const bytes = mib * 2 ** 20;
  console.log(`machine: ${machine()}`);
  const isAllCompressible = args.includes("--all-compressible");
  const input = await imageInput(bytes, 11, { hasRandomBlocks: !isAllCompressible });
  const out = path.join(BENCH_DIR, "publish-out");
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const sha512 = crypto.createHash("sha512");
  for await (const chunk of fs.createReadStream(input, { highWaterMark: 1 << 20 })) sha512.update(chunk as Buffer);
  const expectedHash = { algo: "sha512", value: sha512.digest("hex") };
  await sh(`cat ${input} > /dev/null`); // same page-cache state for every contender

  // CPU-seconds of the two in-process publishes (gzip workers included): what sealing adds.
  const cpu = { plain: [] as number[], sealed: [] as number[] };
  const contenders: Record<string, () => Promise<number>> = {
    gzip: async () => (await timed(() => sh(`gzip -6 -c ${input} > ${out}/gzip.gz`))).seconds,
    ...(hasCommand("pigz") ? { pigz: async () => (await timed(() => sh(`pigz -6 -c ${input} > ${out}/pigz.gz`))).seconds } : {}),
    precache: async () => {
      fs.rmSync(path.join(out, "bench"), { recursive: true, force: true });
      const source = fs.createReadStream(input, { highWaterMark: 1 << 20 });
      return (await cpuTimed(cpu.plain, () => compressToArtifact({ imageId: "bench", source, artifactDir: out, level: 6, expectedHash })))
        .seconds;
    },
    sealed: async () => {
      fs.rmSync(path.join(out, "_sealed"), { recursive: true, force: true });
      const source = fs.createReadStream(input, { highWaterMark: 1 << 20 });
      const sealWith = newArtifactKey();
      return (
        await cpuTimed(cpu.sealed, () =>
          compressToArtifact({ imageId: "bench", source, artifactDir: out, level: 6, expectedHash, sealWith }),
        )
      ).seconds;
    },
  };
  const names = Object.keys(contenders);
  const times: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const name of order) times[name].push(await contenders[name]());
    console.log(`round ${round + 1}: ${order.map((name) => `${name} ${times[name].at(-1)!.toFixed(2)} s`).join(", ")}`);
  }
  const artifact = fs.readdirSync(path.join(out, "bench")).find((file) => file.endsWith(".gz"))!;
  const precachePath = path.join(out, "bench", artifact);
  await sh(`gunzip -t ${precachePath}`);
  const gzip = { seconds: median(times.gzip) };
  const gzipSize = fs.statSync(`${out}/gzip.gz`).size;
  const pigz = times.pigz ? { seconds: median(times.pigz) } : null;
  const precache = { seconds: median(times.precache), value: { compressedSize: fs.statSync(precachePath).size } };

  const row = (name: string, seconds: number, size: number) =>
    console.log(
      `${name.padEnd(26)} ${seconds.toFixed(2).padStart(7)} s  ${mibPerSecond(bytes, seconds).padStart(10)}  ${size} B (${(bytes / size).toFixed(2)}:1)`,
    );
  console.log(
    `input: ${bytes} B image-like data${isAllCompressible ? " without random blocks" : ""} (${input}); medians of ${rounds} rounds`,
  );
  row("gzip -6", gzip.seconds, gzipSize);
  if (pigz) row("pigz -6", pigz.seconds, fs.statSync(`${out}/pigz.gz`).size);
  row("precache publish (gzip -6)", precache.seconds, precache.value.compressedSize);
  const sealedSeconds = median(times.sealed);
  const sealedFile = fs.readdirSync(path.join(out, "_sealed"))[0];
  row("precache publish, sealed", sealedSeconds, fs.statSync(path.join(out, "_sealed", sealedFile)).size);
  const sizeRatio = precache.value.compressedSize / gzipSize;
  console.log(`output size vs gzip -6: ${sizeRatio.toFixed(4)} (target ≤ 1.01 → ${sizeRatio <= 1.01 ? "met" : "MISSED"})`);
  const vsGzip = gzip.seconds / precache.seconds;
  const vsPigz = pigz ? pigz.seconds / precache.seconds : null;
  console.log(
    `targets: ≥ 1.8× gzip -6 → ${vsGzip >= 1.8 ? "met" : "MISSED"}; ≥ 1.0× pigz -6 → ${vsPigz === null ? "n/a (no pigz)" : vsPigz >= 1.0 ? "met" : "MISSED"}`,
  );
  fs.rmSync(out, { recursive: true, force: true });
  const sealedVsPlain = precache.seconds / sealedSeconds;
  const [cpuPlain, cpuSealed] = [median(cpu.plain), median(cpu.sealed)];
  console.log(
    `publish CPU-seconds (median): plain ${cpuPlain.toFixed(2)}, sealed ${cpuSealed.toFixed(2)} (+${(cpuSealed - cpuPlain).toFixed(2)}, ${(cpuPlain / cpuSealed).toFixed(2)}×)`,
  );
  console.log(`sealed ≥ 0.9× plain publish → ${sealedVsPlain >= 0.9 ? "met" : "MISSED"} (${sealedVsPlain.toFixed(2)}×)`);
  console.log(`ratio: ${vsGzip.toFixed(2)} vs gzip -6, ${vsPigz === null ? "n/a" : vsPigz.toFixed(2)} vs pigz -6`);
}
