// A hand-driven agent connection for tests that send what a real agent never would: it enrols
// with the enrolment token, answers commands at once (so no server call waits 30 s on it), and
// lets the caller emit any event with any payload. A "stuck" one never answers image:delete,
// like an agent hung on a dead disk: calls that promise not to wait on agents may name it.
import { io, type Socket } from "socket.io-client";
import { AGENT_NAMESPACE, PROTOCOL_VERSION, type AgentHello } from "../../protocol/events.ts";

export type RawAgent = { socket: Socket; name: string; close(): void };

export function helloFor(name: string, overrides: Partial<AgentHello> = {}): AgentHello {
  return {
    protocol: PROTOCOL_VERSION,
    name,
    version: "fuzz",
    cacheDir: "/var/lib/nova/instances/_base",
    freeBytes: 1e12,
    proxies: [],
    inventory: [],
    active: [],
    ...overrides,
  };
}

/** Connects to /agent as `name`; rejects with the server's reason when the connection is refused. */
export async function connectAgent(
  url: string,
  name: string,
  token: string,
  timeoutMs = 10_000,
  options: { isStuckOnDelete?: boolean } = {},
): Promise<RawAgent> {
  const socket = io(url + AGENT_NAMESPACE, { auth: { name, token }, transports: ["websocket"], reconnection: false, timeout: timeoutMs });
  socket.on("image:precache", (_command: unknown, ack?: (answer: unknown) => void) =>
    ack?.({ ok: false, error: { code: "TEST_AGENT", message: "not downloading" } }),
  );
  if (!options.isStuckOnDelete)
    socket.on("image:delete", (_command: unknown, ack?: (answer: unknown) => void) =>
      ack?.({ ok: true, data: { deleted: false, freedBytes: 0 } }),
    );
  socket.on("image:abort", (_command: unknown, ack?: (answer: unknown) => void) => ack?.({ ok: true, data: { aborted: false } }));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", (error) => {
      socket.close();
      reject(error);
    });
  });
  return { socket, name, close: () => void socket.close() };
}

/** Emits a hello and waits for its ack; `{ disconnected }` when the server drops the connection instead. */
export async function sayHello(
  agent: RawAgent,
  hello: unknown,
  timeoutMs = 10_000,
): Promise<{ ok: boolean; data?: any; error?: any } | { disconnected: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no hello ack within ${timeoutMs} ms`)), timeoutMs);
    const onDisconnect = (reason: string) => {
      clearTimeout(timer);
      resolve({ disconnected: reason });
    };
    agent.socket.once("disconnect", onDisconnect);
    agent.socket.emit("agent:hello", hello, (answer: { ok: boolean }) => {
      clearTimeout(timer);
      agent.socket.off("disconnect", onDisconnect);
      resolve(answer);
    });
  });
}
