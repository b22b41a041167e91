// Admin account management: GET/POST /api/users, POST/DELETE /api/users/{name}. Never a password hash.
import { z } from "zod";
import { roleSchema } from "../roles.ts";

export const USER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

const password = z.string().min(8, "at least 8 characters").max(1024);

export const createUserRequest = z
  .object({ name: z.string().regex(USER_NAME_PATTERN, "letters, digits, . _ @ -; at most 64"), role: roleSchema, password })
  .strict();
export type CreateUserRequest = z.infer<typeof createUserRequest>;

export const updateUserRequest = z
  .object({ role: roleSchema.optional(), disabled: z.boolean().optional(), password: password.optional() })
  .strict()
  .refine((change) => Object.keys(change).length > 0, "nothing to change: give role, disabled or password");
export type UpdateUserRequest = z.infer<typeof updateUserRequest>;

export const userView = z.object({
  name: z.string(),
  source: z.enum(["local", "keystone"]),
  role: roleSchema,
  disabled: z.boolean(),
  isBootstrap: z.boolean(),
  createdAt: z.string(),
  lastSignInAt: z.string().nullable(),
});
export type UserView = z.infer<typeof userView>;

export const userListReply = z.object({ users: z.array(userView) });
export const userReply = z.object({ user: userView });
export const userDeletedReply = z.object({ deleted: z.literal(true) });
