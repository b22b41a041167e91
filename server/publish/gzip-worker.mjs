// A gzip worker thread: compresses the blocks it is sent (see gzip-block.mjs) and sends back
// their gzip members, transferring buffers both ways rather than copying them.
import { parentPort } from "node:worker_threads";
import { gzipBlock } from "./gzip-block.mjs";

if (!parentPort) throw new Error("gzip-worker.mjs runs as a worker thread");
const port = parentPort;

port.on("message", (/** @type {{ id: number, block: Uint8Array, level: number }} */ { id, block, level }) => {
  try {
    const member = gzipBlock(Buffer.from(block.buffer, block.byteOffset, block.byteLength), level);
    // Transfer only a buffer the member owns whole; a slice of a shared pool is copied instead.
    const isOwned = member.byteOffset === 0 && member.byteLength === member.buffer.byteLength;
    port.postMessage({ id, member }, isOwned ? [member.buffer] : []);
  } catch (error) {
    port.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
