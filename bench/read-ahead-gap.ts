// `npx tsx bench/read-ahead-gap.ts [MiB]`: why the filling Squid tier needs a big read_ahead_gap.
// A throttled client (1 MiB/s) warms a cold tier 2 → tier 1 → origin; an unthrottled client asks
// for the same object 2 s later and joins the fill. With Squid's default gap (16 KB) the fill runs
// at the slow client's pace, so the second waits for it; with 64 MB it does not.
import crypto from "node:crypto";
import { ProxyAgent, request } from "undici";
import { artifactChunks } from "../agent/download/artifact-chunks.ts";
import { startArtifactOrigin } from "../test/support/artifact-origin.ts";
import { startSquid } from "../test/support/squid.ts";

const mebibytes = Number(process.argv[2] ?? 16);

async function measure(gap: string | null): Promise<void> {
  const origin = await startArtifactOrigin();
  const image = origin.publish(crypto.randomBytes(mebibytes * 1024 * 1024));
  const extraConfig = gap ? [`read_ahead_gap ${gap}`] : [];
  const tier1 = await startSquid({ name: "gap-t1", extraConfig });
  const tier2 = await startSquid({ name: "gap-t2", parent: { host: "127.0.0.1", port: tier1.port }, extraConfig });
  try {
    const started = performance.now();
    const slow = (async () => {
      for await (const _chunk of artifactChunks({
        url: image.url,
        proxies: [tier2.url],
        allowDirect: false,
        bandwidthBytesPerSecond: 1024 * 1024,
      }));
      return (performance.now() - started) / 1000;
    })();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const response = await request(image.url, { dispatcher: new ProxyAgent({ uri: tier2.url, proxyTunnel: false }) });
    await response.body.dump({ limit: Number.MAX_SAFE_INTEGER });
    const fast = (performance.now() - started) / 1000;
    console.log(
      `read_ahead_gap ${gap ?? "16 KB (default)"}: ${mebibytes} MiB, slow warm-up client done at ${(await slow).toFixed(1)} s, second client (asked at 2.0 s) done at ${fast.toFixed(1)} s`,
    );
  } finally {
    await tier2.stop();
    await tier1.stop();
    await origin.close();
  }
}

await measure(null);
await measure("64 MB");
process.exit(0);
