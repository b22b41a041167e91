// HTTP by hand over TCP: request lines no HTTP client would send (`GET //[`, raw NUL bytes).
import net from "node:net";

export type RawAnswer = { status: number | null; head: string; isClosed: boolean; isTimedOut: boolean; ms: number };

/** Writes `request` as it is and waits for the response head, the connection's close or `timeoutMs`. */
export function rawExchange(port: number, request: string | Buffer, timeoutMs = 5000): Promise<RawAnswer> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    let isDone = false;
    const finish = (isClosed: boolean, isTimedOut: boolean) => {
      if (isDone) return;
      isDone = true;
      clearTimeout(timer);
      socket.destroy();
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      resolve({
        status: match ? Number(match[1]) : null,
        head: received.split("\r\n\r\n")[0],
        isClosed,
        isTimedOut,
        ms: Date.now() - started,
      });
    };
    const timer = setTimeout(() => finish(false, true), timeoutMs);
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      if (received.includes("\r\n\r\n")) finish(false, false);
    });
    socket.on("error", () => finish(true, false));
    socket.on("close", () => finish(true, false));
    socket.write(request);
  });
}
