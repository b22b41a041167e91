// A bare /agent Socket.io client for hostile cases: any auth, any hello, any event, no PrecacheAgent.
import { io, type Socket } from "socket.io-client";
import { AGENT_TOKEN } from "./test-server.ts";
import { AGENT_NAMESPACE, PROTOCOL_VERSION, type Ack, type AgentSettings } from "../../protocol/events.ts";

export type RawAgent = { socket: Socket; hello(name: string, extra?: Record<string, unknown>): Promise<Ack<AgentSettings>>; close(): void };

/** Resolves once connected; rejects with the server's refusal (`error.data.code`) otherwise. */
export function connectRawAgent(serverUrl: string, auth: unknown, options: { ca?: string } = {}): Promise<RawAgent> {
  const socket = io(serverUrl + AGENT_NAMESPACE, {
    auth: auth as Record<string, unknown>,
    transports: ["websocket"],
    forceNew: true,
    reconnection: false,
    timeout: 5000,
    ...options,
  });
  return new Promise((resolve, reject) => {
    socket.once("connect", () =>
      resolve({
        socket,
        hello: (name, extra = {}) => socket.timeout(5000).emitWithAck("agent:hello", helloPayload(name, extra)),
        close: () => void socket.disconnect(),
      }),
    );
    socket.once("connect_error", (error) => {
      socket.disconnect();
      reject(error);
    });
    // A CONNECT packet the server cannot even parse ends the transport instead.
    socket.io.once("close", (reason) =>
      setTimeout(() => reject(Object.assign(new Error(`closed: ${reason}`), { data: { code: "CLOSED" } })), 200),
    );
  });
}

export type RawNode = RawAgent & {
  commands: { rolloutId: string; imageId: string }[] /** Issued at enrolment: to connect again. */;
  credential: string;
};

/** An enrolled raw node (hello accepted) that accepts every precache command and reports nothing by itself. */
export async function connectRawNode(
  serverUrl: string,
  name: string,
  credential?: string,
  helloExtra: Record<string, unknown> = {},
): Promise<RawNode> {
  const raw = await connectRawAgent(serverUrl, credential ? { name, credential } : { name, token: AGENT_TOKEN });
  const commands: { rolloutId: string; imageId: string }[] = [];
  raw.socket.on("image:precache", (command, ack) => {
    commands.push(command);
    ack({ ok: true, data: { accepted: true } });
  });
  const hello = await raw.hello(name, helloExtra);
  if (!hello.ok) throw new Error(`hello refused: ${hello.error.code}: ${hello.error.message}`);
  return Object.assign(raw, { commands, credential: hello.data.credential ?? credential ?? "" });
}

export function helloPayload(name: string, extra: Record<string, unknown> = {}) {
  return {
    protocol: PROTOCOL_VERSION,
    name,
    version: "raw",
    cacheDir: "/nowhere",
    freeBytes: 2 ** 40,
    proxies: [],
    inventory: [],
    active: [],
    ...extra,
  };
}

/** The refusal code a connection attempt ended with (null if it was accepted, and then closed). */
export async function refusalOf(serverUrl: string, auth: unknown): Promise<string | null> {
  try {
    (await connectRawAgent(serverUrl, auth)).close();
    return null;
  } catch (error) {
    return (error as { data?: { code?: string } }).data?.code ?? (error as Error).message;
  }
}
