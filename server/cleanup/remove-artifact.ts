// Removes an image's artifact from the origin and, where Squids allow it, PURGEs it from them
// (Squid needs `acl purge method PURGE` and `http_access allow purge <the server's address>`).
import fs from "node:fs";
import path from "node:path";
import { ProxyAgent, request } from "undici";
import type { ProxyPurge } from "../../protocol/api/cleanup.ts";
import type { AppContext } from "../context.ts";
import { artifactUrl } from "../images/image-views.ts";
import { sealedArtifactFile } from "../publish/artifact-paths.ts";
import { getTopology } from "../topology/topology.ts";

export async function removeArtifact(
  context: Pick<AppContext, "db" | "env" | "publicUrl" | "log">,
  imageId: string,
  options: { purge: boolean },
): Promise<{ removed: boolean; purges: ProxyPurge[] }> {
  const artifact = await context.db.artifact.findUnique({ where: { imageId } });
  if (!artifact) return { removed: false, purges: [] };
  const purges =
    options.purge && artifact.sha256
      ? await purgeEverywhere(context, artifactUrl(context.publicUrl, { ...artifact, sha256: artifact.sha256 }))
      : [];
  await fs.promises.rm(path.join(context.env.artifactDir, imageId), { recursive: true, force: true });
  if (artifact.encrypted && artifact.sha256)
    await fs.promises.rm(sealedArtifactFile(context.env.artifactDir, artifact.sha256), { force: true });
  await context.db.artifact.delete({ where: { imageId } });
  context.log.info({ imageId, purges }, "artifact removed from the origin");
  return { removed: true, purges };
}

async function purgeEverywhere(context: Pick<AppContext, "db">, url: string): Promise<ProxyPurge[]> {
  const topology = await getTopology(context);
  const proxies = [...new Set([...topology.tier1.map((t) => t.url), ...topology.groups.flatMap((g) => g.proxies)])];
  return Promise.all(
    proxies.map(async (proxy): Promise<ProxyPurge> => {
      // No CONNECT tunnel (undici's default): through one, the PURGE reaches the origin, not Squid's cache.
      const dispatcher = new ProxyAgent({ uri: proxy, proxyTunnel: false, headersTimeout: 10_000, bodyTimeout: 10_000 });
      try {
        const response = await request(url, { method: "PURGE" as "GET", dispatcher });
        await response.body.dump();
        return {
          proxy,
          status: response.statusCode,
          error: response.statusCode >= 400 && response.statusCode !== 404 ? `HTTP ${response.statusCode} (is PURGE allowed?)` : null,
        };
      } catch (error) {
        return { proxy, status: null, error: (error as Error).message };
      } finally {
        await dispatcher.close();
      }
    }),
  );
}
