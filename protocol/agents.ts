// Agent identity as operators see it (GET /api/agents) and the reasons a connection is refused,
// which the agent reads from its connect_error to decide what to do next.
import type { ErrorCode } from "./errors.ts";

/** Why the /agent namespace refused a connection (sent as the connect_error's `data.code`). */
export const AgentRefusal = {
  /** `auth` is not { name, credential?, token? } with a valid host name. */
  invalidAuth: "INVALID_AUTH",
  /** The name has no credential and the enrolment token is missing or wrong. */
  badToken: "BAD_TOKEN",
  /** The name has no credential (never enrolled, or reset): enrol again with the token. */
  notEnrolled: "NOT_ENROLLED",
  /** The name is enrolled under another credential (or only the token was presented). */
  badCredential: "BAD_CREDENTIAL",
  /** An operator revoked this name; it may not connect until an admin resets it. */
  revoked: "REVOKED",
  /** Another connection already holds this name. */
  nameInUse: "NAME_IN_USE",
  serverError: "SERVER_ERROR",
} as const satisfies Record<string, ErrorCode>;
export type AgentRefusal = (typeof AgentRefusal)[keyof typeof AgentRefusal];

export type AgentView = {
  name: string;
  enrolledAt: string;
  enrolledFrom: string | null;
  lastSeenAt: string | null;
  lastSeenFrom: string | null;
  online: boolean;
  revoked: boolean;
  revokedAt: string | null;
  revokedBy: string | null;
};
