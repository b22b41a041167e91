// Sign-in for the dashboard: the admin password or the API token buys an httpOnly cookie.
import { z } from "zod";
import { AppError } from "../errors.ts";
import { safeEqual } from "../secrets.ts";
import type { Route } from "./route.ts";
import { clearSessionCookie, createSessionCookie, isOperator } from "./session.ts";

const signInBody = z.object({ password: z.string().min(1).max(1024) }).strict();

export const sessionRoutes: Route[] = [
  {
    method: "GET",
    path: /^\/api\/session$/,
    isPublic: true,
    handle: async (context, { headers }) => ({ status: 200, body: { authenticated: isOperator(headers, context.secrets) } }),
  },
  {
    method: "POST",
    path: /^\/api\/session$/,
    isPublic: true,
    handle: async (context, { body }) => {
      const { password } = signInBody.parse(body);
      const { adminPassword, apiToken, sessionSecret } = context.secrets;
      if (!safeEqual(password, adminPassword) && !safeEqual(password, apiToken)) {
        context.log.warn("dashboard sign-in refused");
        throw new AppError("UNAUTHORIZED", "wrong password or token");
      }
      const secure = context.publicUrl.startsWith("https://");
      return { status: 200, body: { authenticated: true }, headers: { "set-cookie": createSessionCookie(sessionSecret, secure) } };
    },
  },
  {
    method: "DELETE",
    path: /^\/api\/session$/,
    isPublic: true,
    handle: async () => ({ status: 200, body: { authenticated: false }, headers: { "set-cookie": clearSessionCookie() } }),
  },
];
