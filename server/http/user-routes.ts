// Admin-only account management (local accounts; Keystone accounts appear once they sign in).
import { z } from "zod";
import { Role, roleSchema } from "../../protocol/roles.ts";
import { createUser, deleteUser, listUsers, updateUser } from "../users/manage-users.ts";
import { USER_NAME_PATTERN } from "../users/user-views.ts";
import { textParam } from "./route-params.ts";
import type { Route } from "./route.ts";

const password = z.string().min(8, "at least 8 characters").max(1024);
const createBody = z
  .object({ name: z.string().regex(USER_NAME_PATTERN, "letters, digits, . _ @ -; at most 64"), role: roleSchema, password })
  .strict();
const updateBody = z
  .object({ role: roleSchema.optional(), disabled: z.boolean().optional(), password: password.optional() })
  .strict()
  .refine((change) => Object.keys(change).length > 0, "nothing to change: give role, disabled or password");
const userPath = /^\/api\/users\/([^/]{1,300})$/;
const userName = (params: string[]) => textParam(params[0], "user name");

export const userRoutes: Route[] = [
  {
    method: "GET",
    path: /^\/api\/users$/,
    role: Role.admin,
    handle: async (context) => ({ status: 200, body: { users: await listUsers(context) } }),
  },
  {
    method: "POST",
    path: /^\/api\/users$/,
    role: Role.admin,
    audit: { action: "user.create", target: ({ body }) => stringField(body, "name") },
    handle: async (context, { body }) => ({ status: 201, body: { user: await createUser(context, createBody.parse(body)) } }),
  },
  {
    method: "POST",
    path: userPath,
    role: Role.admin,
    audit: { action: "user.update", target: ({ params }) => userName(params) },
    handle: async (context, { params, body }) => ({
      status: 200,
      body: { user: await updateUser(context, userName(params), updateBody.parse(body)) },
    }),
  },
  {
    method: "DELETE",
    path: userPath,
    role: Role.admin,
    audit: { action: "user.delete", target: ({ params }) => userName(params) },
    handle: async (context, { params }) => {
      await deleteUser(context, userName(params));
      return { status: 200, body: { deleted: true } };
    },
  },
];

function stringField(body: unknown, field: string): string | undefined {
  const value = (body as Record<string, unknown> | null)?.[field];
  return typeof value === "string" ? value.slice(0, 200) : undefined;
}
