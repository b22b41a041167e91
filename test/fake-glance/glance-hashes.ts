// The hash fields Glance stores when data is uploaded, so fake images look like real ones.
import { createHash } from "node:crypto";

export type GlanceHashes = { checksum: string; os_hash_algo: "sha512"; os_hash_value: string; size: number };

export function glanceHashes(data: Buffer): GlanceHashes {
  return {
    checksum: createHash("md5").update(data).digest("hex"),
    os_hash_algo: "sha512",
    os_hash_value: createHash("sha512").update(data).digest("hex"),
    size: data.length,
  };
}
