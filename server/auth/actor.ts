// Who is making a request: an operator (session), a named API token, an agent, or nobody.
import type { Role } from "../../protocol/roles.ts";

export type ActorKind = "user" | "token" | "agent" | "anonymous";

export type Actor = {
  kind: ActorKind;
  /** User name, token name ("token:<name>"), hypervisor ("agent:<name>") or "anonymous". */
  name: string;
  /** null for anonymous callers and agents: they hold no operator role. */
  role: Role | null;
  /** The client's address, as the socket saw it. */
  address: string;
  /** Set when the request came with a dashboard session (cookie). */
  sessionId?: string;
  /** Set when the request came with a personal API token. */
  tokenId?: string;
  /** The account behind a session or a token (a token's owner); absent for anonymous and agents. */
  user?: string;
};

export function anonymous(address: string): Actor {
  return { kind: "anonymous", name: "anonymous", role: null, address };
}
