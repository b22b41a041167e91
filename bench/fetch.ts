// Fetch: the agent's pipeline (fetch through Squid → gunzip → sha512 → write → fsync → rename)
// on a Squid HIT, against `curl -x squid URL | gunzip | tee file | sha512sum; sync file`.
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { placeImage } from "../agent/download/place-image.ts";
import { serveArtifact } from "../server/origin/serve-artifact.ts";
import { startSquid } from "../test/support/squid.ts";
import { BENCH_DIR, imageInput, machine, median, mibPerSecond, sh, timed } from "./bench-support.ts";

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
  fs.renameSync(gz, path.join(work, "artifacts", imageId, `${sha256}.gz`));
  const sha512 = crypto.createHash("sha512");
  for await (const chunk of fs.createReadStream(input, { highWaterMark: 1 << 20 })) sha512.update(chunk as Buffer);
  const hash = { algo: "sha512" as const, value: sha512.digest("hex") };

  const origin = http.createServer(
    (req, res) => void serveArtifact(req, res, new URL(req.url!, "http://x").pathname, path.join(work, "artifacts")),
  );
  await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(origin.address() as { port: number }).port}/artifacts/${imageId}/${sha256}.gz`;
  const squid = await startSquid({ name: "bench-fetch" });
  try {
    await sh(`curl -sf -x ${squid.url} -o /dev/null ${url}`); // warm: the measured runs are HITs
    const out = path.join(work, "out");
    fs.mkdirSync(out);
    const baseline: number[] = [];
    const precache: number[] = [];
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
        (await timed(() => placeImage({ imageId, artifactUrl: url, hash, cacheDir: out, proxies: [squid.url], imageSize: bytes }))).seconds,
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
    console.log(`target: ≥ 1.0× → ${b / p >= 1 ? "met" : "MISSED"}`);
    console.log(`ratio: ${(b / p).toFixed(2)} vs curl | gunzip | tee >(sha512sum)`);
  } finally {
    await squid.stop();
    origin.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
