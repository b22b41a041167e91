// Admin-only account management (local accounts; Keystone accounts appear once they sign in).
import { Role } from "../../protocol/roles.ts";
import { createUser, deleteUser, listUsers, updateUser } from "../users/manage-users.ts";
import { createUserRequest, updateUserRequest } from "../../protocol/api/users.ts";
import { textParam } from "./route-params.ts";
import type { Route } from "./route.ts";

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
    handle: async (context, { body }) => ({ status: 201, body: { user: await createUser(context, createUserRequest.parse(body)) } }),
  },
  {
    method: "POST",
    path: userPath,
    role: Role.admin,
    audit: { action: "user.update", target: ({ params }) => userName(params) },
    handle: async (context, { params, body }) => ({
      status: 200,
      body: { user: await updateUser(context, userName(params), updateUserRequest.parse(body)) },
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
