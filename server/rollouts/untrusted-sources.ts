// Which sources of a failed download the peer tier stops trusting: those whose bytes were bad.
// Pure, so the rule is tested without a database (record-download.ts applies it).
import type { ErrorPayload } from "../../protocol/events.ts";

/** Errors that mean the bytes were bad (not the network): whoever served them is not trusted again. */
const BAD_BYTES = new Set(["HASH_MISMATCH", "DECOMPRESS_FAILED", "DECRYPT_FAILED", "SIZE_MISMATCH", "INVALID_IMAGE"]);

type FailedDownload = { error?: ErrorPayload; bytes: number; sources?: { source: string; bytes: number }[] };

/**
 * The peers (names) that sent bytes to a download that failed because of its bytes. A full disk
 * counts as bad bytes when the image inflated beyond Glance's size on its way there (an agent
 * without the streaming bounds reports that as DISK_FULL) or when its size is unknown (a big
 * image cannot be told from an endless stream, and the node's retry is served by its Squid):
 * an oversize stream must not move its holder on to the next node.
 */
export function untrustedPeers(result: FailedDownload, imageSize: number | null): string[] {
  const code = result.error?.code;
  if (!code) return [];
  const isOversize = code === "DISK_FULL" && (imageSize === null || result.bytes > imageSize);
  if (!BAD_BYTES.has(code) && !isOversize) return [];
  return (result.sources ?? [])
    .filter((entry) => entry.source.startsWith("peer:") && entry.bytes > 0)
    .map((entry) => entry.source.slice(5));
}
