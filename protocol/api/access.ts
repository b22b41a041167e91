// Who is signed in (GET/POST/DELETE /api/session), live sessions (/api/sessions) and personal
// API tokens (/api/tokens): what the Access page and the sign-in form receive.
import { z } from "zod";
import { roleSchema } from "../roles.ts";

/** A printable line: a user or domain name never carries control characters into a log or Keystone. */
const printable = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\u0000-\u001f\u007f]+$/, "no control characters");

/** POST /api/session: without a username, the bootstrap admin signs in. */
export const signInRequest = z
  .object({ username: printable.optional(), password: z.string().min(1).max(1024), domain: printable.optional() })
  .strict();
export type SignInRequest = z.infer<typeof signInRequest>;

export const sessionInfo = z.object({
  authenticated: z.boolean(),
  user: z.object({ name: z.string(), role: roleSchema, via: z.string().optional(), source: z.string().optional() }).optional(),
});
export type SessionInfo = z.infer<typeof sessionInfo>;

export const sessionRow = z.object({
  id: z.string(),
  userName: z.string(),
  role: roleSchema,
  source: z.string(),
  address: z.string().nullable(),
  userAgent: z.string().nullable(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  expiresAt: z.string(),
  isCurrent: z.boolean(),
});
export type SessionRow = z.infer<typeof sessionRow>;
export const sessionListReply = z.object({ sessions: z.array(sessionRow) });

export const tokenRow = z.object({
  id: z.string(),
  name: z.string(),
  role: roleSchema,
  owner: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});
export type TokenRow = z.infer<typeof tokenRow>;
export const tokenListReply = z.object({ tokens: z.array(tokenRow) });

export const createTokenRequest = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, "letters, digits, space . _ -; at most 64"),
    role: roleSchema.optional(),
  })
  .strict();
export const createTokenReply = z.object({ token: tokenRow, secret: z.string() });
export const revokedReply = z.object({ revoked: z.literal(true) });
export const tokenRevokedReply = revokedReply.extend({ token: tokenRow });
