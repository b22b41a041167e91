// `npm run publish -- <image id or name> [--level 1-9] [--server URL] [--token T]`: the seed's
// Glance-side script, as a client of the running server (which owns the database), with a progress bar.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { formatBytes } from "../lib/api.ts";
import type { ErrorBody } from "../protocol/api/error-body.ts";
import type { ArtifactView as Artifact, ImageListReply, ImageReply, ImageView as Image, PublishReply } from "../protocol/api/images.ts";

const USAGE = "usage: npm run publish -- <image id or name> [--level 1-9] [--server http://host:3000] [--token PRECACHE_API_TOKEN]";

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { level: { type: "string" }, server: { type: "string" }, token: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help || positionals.length !== 1) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 64);
  }
  const level = values.level === undefined ? undefined : Number(values.level);
  if (level !== undefined && !(Number.isInteger(level) && level >= 1 && level <= 9))
    throw new Error(`invalid --level "${values.level}": must be 1..9`);
  const server = (values.server ?? process.env.PRECACHE_SERVER ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`).replace(/\/+$/, "");
  const token = values.token ?? process.env.PRECACHE_API_TOKEN ?? storedToken();
  const call = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
    const response = await fetch(server + route, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).catch((error: Error) => {
      throw new Error(`cannot reach the Precache server at ${server} (${error.message}); is it running? (--server)`);
    });
    const data = (await response.json().catch(() => ({}))) as Partial<ErrorBody>;
    if (!response.ok) throw new Error(`${data.error?.code ?? response.status}: ${data.error?.message ?? "request failed"}`);
    return data as T;
  };

  const { images } = await call<ImageListReply>("GET", "/api/images");
  const wanted = positionals[0];
  const matches = images.filter((image) => image.id === wanted || image.name === wanted);
  if (matches.length === 0)
    throw new Error(
      `no image "${wanted}" (known: ${images
        .map((i) => i.name)
        .slice(0, 10)
        .join(", ")})`,
    );
  if (matches.length > 1) throw new Error(`"${wanted}" names ${matches.length} images; use the id`);
  const image = matches[0];
  const started = await call<PublishReply>("POST", `/api/images/${image.id}/publish`, level ? { level } : {});
  if (started.reused && started.artifact.state === "ready") return report(image, started.artifact, true);
  const begin = Date.now();
  for (;;) {
    const { image: current } = await call<ImageReply>("GET", `/api/images/${image.id}`);
    const artifact = current.artifact!;
    drawBar(artifact, begin);
    if (artifact.state === "ready") return report(image, artifact, false, begin);
    if (artifact.state === "failed") throw new Error(`publish failed: ${artifact.error}`);
    await sleep(500);
  }
}

function drawBar(artifact: Artifact, begin: number): void {
  if (!process.stderr.isTTY) return;
  const total = artifact.sourceSize ?? 0;
  const fraction = total ? Math.min(1, artifact.bytesRead / total) : 0;
  const width = 30;
  const filled = Math.round(fraction * width);
  const seconds = (Date.now() - begin) / 1000;
  const rate = seconds > 0 ? artifact.bytesRead / seconds / 2 ** 20 : 0;
  process.stderr.write(
    `\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${rate.toFixed(0)} MiB/s `,
  );
}

function report(image: Image, artifact: Artifact, reused: boolean, begin?: number): void {
  if (process.stderr.isTTY) process.stderr.write("\n");
  const ratio = artifact.compressedSize && artifact.sourceSize ? (artifact.sourceSize / artifact.compressedSize).toFixed(2) : "?";
  const took = begin ? ` in ${((Date.now() - begin) / 1000).toFixed(1)} s` : "";
  console.log(
    `${image.name} (${image.id}): ${reused ? "already published" : `published${took}`}, gzip -${artifact.level}, ${formatBytes(artifact.sourceSize)} → ${formatBytes(artifact.compressedSize)} (${ratio}:1)`,
  );
  console.log(
    `artifact: ${artifact.url}${artifact.encrypted ? " (encrypted: the image is not public; only rollout targets get the key)" : ""}`,
  );
}

function storedToken(): string {
  const file = path.resolve(process.env.PRECACHE_DATA_DIR ?? "data", "secrets.json");
  try {
    return (JSON.parse(fs.readFileSync(file, "utf8")) as { apiToken: string }).apiToken;
  } catch {
    throw new Error(`no API token: set PRECACHE_API_TOKEN or --token (or run on the server machine, where ${file} holds it)`);
  }
}

main().catch((error: Error) => {
  console.error(`precache publish: ${error.message}`);
  process.exit(1);
});
