import { describe, expect, it } from "vitest";
import type { ErrorCode } from "../../protocol/errors.ts";
import { untrustedPeers } from "./untrusted-sources.ts";

const sources = [
  { source: "peer:holder", bytes: 4096 },
  { source: "peer:silent", bytes: 0 },
  { source: "http://squid:3128", bytes: 1024 },
];
const failed = (code: ErrorCode, bytes = 100) => ({ error: { code, message: "m" }, bytes, sources });

describe("peers a failed download stops trusting", () => {
  it("names the peers that sent bytes when the bytes were bad, never the proxies or silent peers", () => {
    for (const code of ["HASH_MISMATCH", "DECOMPRESS_FAILED", "DECRYPT_FAILED", "SIZE_MISMATCH"] as const)
      expect(untrustedPeers(failed(code), 1000)).toEqual(["holder"]);
  });

  it("trusts them after network trouble or a refusal of the image itself", () => {
    for (const code of ["FETCH_FAILED", "TIMEOUT", "UNSAFE_IMAGE", "ABORTED"] as const)
      expect(untrustedPeers(failed(code), 1000)).toEqual([]);
    expect(untrustedPeers({ bytes: 0, sources }, 1000)).toEqual([]);
  });

  it("blames a full disk on the peers when the stream inflated beyond Glance's size, or the size is unknown", () => {
    expect(untrustedPeers(failed("DISK_FULL", 1001), 1000)).toEqual(["holder"]);
    expect(untrustedPeers(failed("DISK_FULL", 10), null)).toEqual(["holder"]);
    expect(untrustedPeers(failed("DISK_FULL", 1000), 1000)).toEqual([]); // the node's own disk was full
  });
});
