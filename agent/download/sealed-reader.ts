// A sealed artifact as placeImage reads it: the opening stream, and where a broken transfer
// resumes. Resumed requests start on a chunk boundary (the unit that authenticates), so every
// resumed response begins with a whole chunk; bytes re-sent before the break point are skipped.
import type { Transform } from "node:stream";
import { KEY_BYTES, chunkBoundaryAtOrBefore } from "../../protocol/sealed-stream.ts";
import { AgentError } from "../agent-error.ts";
import { createOpeningStream } from "./decrypt-chunks.ts";

export type SealedReader = { opening: Transform; resumeFrom: (receivedBytes: number) => number };

export function createSealedReader(base64Key: string): SealedReader {
  const key = Buffer.from(base64Key, "base64");
  if (key.length !== KEY_BYTES) throw new AgentError("INVALID_COMMAND", `sealed key must be ${KEY_BYTES} bytes`);
  let chunkBytes: number | null = null;
  const opening = createOpeningStream({ key, onHeader: (header) => void (chunkBytes = header.chunkBytes) });
  return {
    opening,
    // Before the header has been read nothing is known of the chunks: start again from the top.
    resumeFrom: (receivedBytes) => (chunkBytes === null ? 0 : chunkBoundaryAtOrBefore(receivedBytes, chunkBytes)),
  };
}
