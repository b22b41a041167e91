// Personal API tokens: anyone signed in creates tokens with a role up to their own, sees and
// revokes their own; admins see and revoke everyone's. The secret is in the create answer only.
import { createTokenRequest, type TokenRow } from "../../protocol/api/access.ts";
import { hasRole, Role } from "../../protocol/roles.ts";
import type { ApiTokenView } from "../auth/api-token-store.ts";
import type { Actor } from "../auth/actor.ts";
import { AppError } from "../errors.ts";
import type { Route } from "./route.ts";

export const tokenRoutes: Route[] = [
  {
    method: "GET",
    path: /^\/api\/tokens$/,
    role: Role.viewer,
    handle: async (context, { actor }) => ({
      status: 200,
      body: { tokens: (await context.access.tokens.list(isAdmin(actor) ? undefined : ownerOf(actor))).map(toTokenRow) },
    }),
  },
  {
    method: "POST",
    path: /^\/api\/tokens$/,
    role: Role.viewer,
    audit: {
      action: "token.create",
      target: (_request, result) => (result?.body as { token?: { name?: string } } | undefined)?.token?.name,
    },
    handle: async (context, { body, actor }) => {
      const { name, role = actor.role! } = createTokenRequest.parse(body);
      if (!hasRole(actor.role!, role)) throw new AppError("FORBIDDEN", `${actor.name} is ${actor.role}: cannot create a ${role} token`);
      const { secret, token } = await context.access.tokens.create({ name, role, owner: ownerOf(actor) });
      return { status: 201, body: { token: toTokenRow(token), secret } };
    },
  },
  {
    method: "DELETE",
    path: /^\/api\/tokens\/([0-9a-f-]{36})$/,
    role: Role.viewer,
    audit: { action: "token.revoke", target: ({ params }) => params[0] },
    handle: async (context, { params, actor }) => {
      const token = await context.access.tokens.get(params[0]);
      if (!token || (!isAdmin(actor) && token.owner !== ownerOf(actor))) throw new AppError("NOT_FOUND", "no such token");
      await context.access.tokens.revoke(token.id);
      return { status: 200, body: { revoked: true, token: toTokenRow(token) } };
    },
  },
];

/** The contract's row: times as ISO text, exactly as JSON would write the Dates. */
function toTokenRow(token: ApiTokenView): TokenRow {
  return { ...token, createdAt: token.createdAt.toISOString(), lastUsedAt: token.lastUsedAt?.toISOString() ?? null };
}

function isAdmin(actor: Actor): boolean {
  return actor.role !== null && hasRole(actor.role, Role.admin);
}

function ownerOf(actor: Actor): string {
  return actor.user ?? actor.name;
}
