// Fetch: the agent's pipeline (fetch through Squid → gunzip → sha512 → write → fsync → rename)
// on a Squid HIT, against `curl -x squid URL | gunzip | tee file | sha512sum; sync file`; and the
// same pipeline on the sealed (encrypted) artifact of the same image, as a private image is fetched
// (fetch → open chunks → gunzip → ...), in the same rounds.
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { placeImage } from "../agent/download/place-image.ts";
import { artifactUrlPath, sealedArtifactFile } from "../server/publish/artifact-paths.ts";
import { createSealingStream, newArtifactKey } from "../server/publish/encrypt-artifact.ts";
import { serveArtifact } from "../server/origin/serve-artifact.ts";
import { startSquid } from "../test/support/squid.ts";
import { BENCH_DIR, cpuTimed, imageInput, machine, median, mibPerSecond, sh, timed } from "./bench-support.ts";

export async function run(args: string[]): Promise<void> {
  const mib = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 512);
  const bytes = mib * 2 ** 20;
  const rounds = 3;
  console.log(`machine: ${machine()}`);
  const input = await imageInput(bytes);
  const work = path.join(BENCH_DIR, "fetch");
  fs.rmSync(work, { recursive: true, force: true });
  const imageId = "bench-image";
  fs.mkdirSync(path.join(work, "artifacts", imageId), { recursive: true });
  const gz = path.join(work, "artifact.gz");
  await sh(`pigz -6 -c ${input} > ${gz} 2>/dev/null || gzip -6 -c ${input} > ${gz}`);
  const sha256 = crypto.createHash("sha256").update(fs.readFileSync(gz)).digest("hex");
  const sealed = await sealFile(gz, path.join(work, "artifacts"));
  fs.renameSync(gz, path.join(work, "artifacts", imageId, `${sha256}.gz`));
  const sha512 = crypto.createHash("sha512");
  for await (const chunk of fs.createReadStream(input, { highWaterMark: 1 << 20 })) sha512.update(chunk as Buffer);
  const hash = { algo: "sha512" as const, value: sha512.digest("hex") };

  const origin = http.createServer(
    (req, res) => void serveArtifact(req, res, new URL(req.url!, "http://x").pathname, path.join(work, "artifacts")),
  );
  await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
  const originUrl = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
  const url = `${originUrl}/artifacts/${imageId}/${sha256}.gz`;
  const sealedUrl = originUrl + artifactUrlPath({ imageId, sha256: sealed.sha256, codec: "gzip", encrypted: true });
  const squid = await startSquid({ name: "bench-fetch" });
  try {
    await sh(`curl -sf -x ${squid.url} -o /dev/null ${url}`); // warm: the measured runs are HITs
    await sh(`curl -sf -x ${squid.url} -o /dev/null ${sealedUrl}`);
    const out = path.join(work, "out");
    fs.mkdirSync(out);
    const baseline: number[] = [];
    const precache: number[] = [];
    const precacheSealed: number[] = [];
    // CPU-seconds of this process (the agent pipeline; Squid is another process): what sealing
    // costs, which a busy machine does not blur the way it blurs wall time.
    const cpu = { plain: [] as number[], sealed: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      baseline.push(
        (
          await timed(() =>
            sh(`curl -sf -x ${squid.url} ${url} | gunzip | tee ${out}/curl.raw | sha512sum > /dev/null && sync ${out}/curl.raw`),
          )
        ).seconds,
      );
      fs.rmSync(`${out}/curl.raw`);
      precache.push(
        (
          await cpuTimed(cpu.plain, () =>
            placeImage({ imageId, artifactUrl: url, hash, cacheDir: out, proxies: [squid.url], imageSize: bytes }),
          )
        ).seconds,
      );
      fs.rmSync(out, { recursive: true, force: true });
      fs.mkdirSync(out);
      precacheSealed.push(
        (
          await cpuTimed(cpu.sealed, () =>
            placeImage({
              imageId,
              artifactUrl: sealedUrl,
              hash,
              cacheDir: out,
              proxies: [squid.url],
              imageSize: bytes,
              sealedKey: sealed.key,
            }),
          )
        ).seconds,
      );
      fs.rmSync(out, { recursive: true, force: true });
      fs.mkdirSync(out);
    }
    const hits = (await squid.accessLog()).filter((entry) => entry.url === url);
    console.log(
      `input: ${bytes} B image, artifact ${fs.statSync(path.join(work, "artifacts", imageId, `${sha256}.gz`)).size} B; ${rounds} rounds each, alternating; Squid results: ${[...new Set(hits.slice(1).map((h) => h.result))].join(", ")}`,
    );
    const b = median(baseline);
    const p = median(precache);
    console.log(
      `curl | gunzip | tee | sha512sum; sync   median ${b.toFixed(2)} s  ${mibPerSecond(bytes, b)}  (runs: ${baseline.map((s) => s.toFixed(2)).join(", ")})`,
    );
    console.log(
      `precache agent (verify + fsync + rename) median ${p.toFixed(2)} s  ${mibPerSecond(bytes, p)}  (runs: ${precache.map((s) => s.toFixed(2)).join(", ")})`,
    );
    const e = median(precacheSealed);
    console.log(
      `precache agent, sealed artifact        median ${e.toFixed(2)} s  ${mibPerSecond(bytes, e)}  (runs: ${precacheSealed.map((s) => s.toFixed(2)).join(", ")})`,
    );
    const cpuPlain = median(cpu.plain);
    const cpuSealed = median(cpu.sealed);
    console.log(
      `agent CPU-seconds (median): plain ${cpuPlain.toFixed(2)}, sealed ${cpuSealed.toFixed(2)} (+${(cpuSealed - cpuPlain).toFixed(2)}, ${(cpuPlain / cpuSealed).toFixed(2)}×)`,
    );
    console.log(`target: ≥ 1.0× → ${b / p >= 1 ? "met" : "MISSED"}; sealed ≥ 0.9× plain agent → ${p / e >= 0.9 ? "met" : "MISSED"}`);
    console.log(`ratio: ${(b / p).toFixed(2)} vs curl | gunzip | tee >(sha512sum); sealed ${(p / e).toFixed(2)}× the plain agent`);
  } finally {
    await squid.stop();
    origin.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The sealed artifact of a .gz file, where the origin serves it: its sha256 and key (base64). */
async function sealFile(gz: string, artifactDir: string): Promise<{ sha256: string; key: string }> {
  const key = newArtifactKey();
  const temp = path.join(artifactDir, "sealing.tmp");
  await pipeline(fs.createReadStream(gz, { highWaterMark: 1 << 20 }), createSealingStream({ key }), fs.createWriteStream(temp));
  const hash = crypto.createHash("sha256");
  for await (const chunk of fs.createReadStream(temp, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  const sha256 = hash.digest("hex");
  fs.mkdirSync(path.dirname(sealedArtifactFile(artifactDir, sha256)), { recursive: true });
  fs.renameSync(temp, sealedArtifactFile(artifactDir, sha256));
  return { sha256, key: key.toString("base64") };
}
