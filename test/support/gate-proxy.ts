// A tiny HTTP proxy (absolute-form GETs, as the agent sends them) that holds every response until
// the test opens the gate, so a download can be made to finish at a chosen moment: during a
// database outage, or while the server is down. It counts the requests it forwards.
import http from "node:http";
import type { AddressInfo } from "node:net";

export type GateMode = "forward" | "garbage";
export type GateProxy = {
  url: string;
  /** Every request the agent made through the gate. */
  requests: string[];
  /** Releases held responses (and answers later ones at once) in `mode`; "garbage" is 200 with bytes that are not gzip. */
  open(mode?: GateMode): void;
  close(): Promise<void>;
};

export async function startGateProxy(): Promise<GateProxy> {
  const requests: string[] = [];
  let mode: GateMode | null = null;
  const held: (() => void)[] = [];
  const server = http.createServer((request, response) => {
    const url = request.url ?? "";
    requests.push(url);
    // Read from the origin at once (it may be unreachable by the time the gate opens).
    const body = fetch(url).then(async (answer) => ({ status: answer.status, bytes: Buffer.from(await answer.arrayBuffer()) }));
    body.catch(() => undefined);
    const answer = async (as: GateMode) => {
      if (as === "garbage") return void response.writeHead(200, { "content-length": 4096 }).end(Buffer.alloc(4096, 0x5a));
      try {
        const { status, bytes } = await body;
        response.writeHead(status, { "content-length": bytes.length }).end(bytes);
      } catch {
        response.writeHead(502).end();
      }
    };
    if (mode) void answer(mode);
    else held.push(() => void answer(mode!));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    open(as = "forward") {
      mode = as;
      for (const release of held.splice(0)) release();
      // Later requests (a retry) are forwarded.
      mode = "forward";
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
