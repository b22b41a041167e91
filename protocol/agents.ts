// Agent identity as operators see it (GET /api/agents) and the reasons a connection is refused,
// which the agent reads from its connect_error to decide what to do next.
import { z } from "zod";
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

export const agentView = z.object({
  name: z.string(),
  enrolledAt: z.string(),
  enrolledFrom: z.string().nullable(),
  lastSeenAt: z.string().nullable(),
  lastSeenFrom: z.string().nullable(),
  online: z.boolean(),
  revoked: z.boolean(),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
});
export type AgentView = z.infer<typeof agentView>;
export const agentListReply = z.object({ agents: z.array(agentView) });
export const agentReply = z.object({ agent: agentView });
export const agentResetReply = z.object({ name: z.string(), reset: z.literal(true) });
