// A TCP relay in front of the tier-2 Squid that counts the bytes it hands to agents. Squid's
// access log cannot: a SIGKILLed Squid never logs the transactions it was serving. The relay
// outlives Squid restarts (same target port), so every byte that reached an agent is counted.
import net from "node:net";

export type ByteCountingRelay = { url: string; bytesToClients(): number; close(): Promise<void> };

export async function startByteCountingRelay(targetPort: number): Promise<ByteCountingRelay> {
  let bytes = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: "127.0.0.1", port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      // Either side gone (a killed Squid, a killed agent): close the other, as a direct link would.
      socket.once("error", () => {
        client.destroy();
        upstream.destroy();
      });
      socket.once("close", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.on("data", (chunk: Buffer) => (bytes += chunk.length));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    bytesToClients: () => bytes,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
