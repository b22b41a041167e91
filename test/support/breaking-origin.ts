// An origin for failure modes a real server will not show on demand: its first response stops
// at byte N, either cut (socket destroyed) or silent (held open, no more bytes). Later requests
// honour `Range: bytes=N-`. Every request's Range and the body bytes sent are recorded.
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type BreakingOrigin = { url: string; ranges: (string | null)[]; bytesSent(): number; close(): Promise<void> };

export async function startBreakingOrigin(body: Buffer, stopAt: number, mode: "cut" | "silent"): Promise<BreakingOrigin> {
  const ranges: (string | null)[] = [];
  const held: Socket[] = [];
  let sent = 0;
  const server = http.createServer((req, res) => {
    ranges.push(req.headers.range ?? null);
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = match ? Number(match[1]) : 0;
    const headers = { "content-type": "application/gzip", "accept-ranges": "bytes", "content-length": String(body.length - start) };
    res.writeHead(match ? 206 : 200, match ? { ...headers, "content-range": `bytes ${start}-${body.length - 1}/${body.length}` } : headers);
    if (ranges.length > 1) {
      sent += body.length - start;
      return void res.end(body.subarray(start));
    }
    sent += stopAt;
    res.write(body.subarray(0, stopAt), () => {
      if (mode === "cut") setTimeout(() => req.socket.destroy(), 50);
      else held.push(req.socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/artifacts/breaking/${"a".repeat(64)}.gz`,
    ranges,
    bytesSent: () => sent,
    async close() {
      for (const socket of held) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
