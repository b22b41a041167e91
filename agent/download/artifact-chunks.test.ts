// A response whose every byte arrived is whole, even when the agent is not reading and the origin
// closes right after the last byte (its keep-alive timer; a proxy closing): nothing is fetched twice.
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { artifactChunks, RESPONSE_BUFFER_BYTES } from "./artifact-chunks.ts";

const servers: net.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
});

/**
 * A keep-alive origin that sends its headers and `head` at once, then, when told, `tail` and a
 * FIN. It resolves `closed` when the agent has handled that FIN and closed its end too.
 */
async function scriptedOrigin(head: Buffer, tail: Buffer) {
  let sendTail = () => {};
  let markClosed = () => {};
  const tailSent = new Promise<void>((resolve) => (sendTail = resolve));
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  let requests = 0;
  const server = net.createServer((socket) => {
    socket.on("close", markClosed);
    socket.once("data", async () => {
      requests++;
      const headers = `HTTP/1.1 200 OK\r\nContent-Length: ${head.length + tail.length}\r\nConnection: keep-alive\r\n\r\n`;
      socket.write(Buffer.concat([Buffer.from(headers), head]));
      await tailSent;
      socket.end(tail);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/artifacts/a.gz`, sendTail, closed, requests: () => requests };
}

describe("the last bytes of a response", () => {
  it("are kept when the origin closes while the agent is not reading", async () => {
    const head = Buffer.alloc(1000, 1);
    // Exactly what the response buffer holds: the chunk that ends the body is the one that fills it.
    const tail = Buffer.alloc(RESPONSE_BUFFER_BYTES, 2);
    const origin = await scriptedOrigin(head, tail);
    // No resume allowed: a break is a failure, not a re-fetch.
    const chunks = artifactChunks({ url: origin.url, proxies: [], allowDirect: true, resume: { budgetMs: 0 } });

    const first = await chunks.next();
    expect(first.value).toEqual(head);
    // The agent holds the first chunk (a slow disk, the pacer) while the tail and the FIN arrive.
    origin.sendTail();
    await origin.closed;
    const rest: Buffer[] = [];
    for await (const chunk of chunks) rest.push(chunk);

    expect(Buffer.concat(rest).equals(tail)).toBe(true);
    expect(origin.requests()).toBe(1);
  });
});
