import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import { apiRoutes, type Route } from "./api-routes.ts";
import { readJson, sendError, sendJson, sendText } from "./respond.ts";
import { sessionRoutes } from "./session-routes.ts";
import { isOperator } from "./session.ts";

const routes: Route[] = [...sessionRoutes, ...apiRoutes];

export async function handleApi(context: AppContext, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  try {
    const matching = routes.filter((route) => route.path.test(pathname));
    if (matching.length === 0) throw new AppError("NOT_FOUND", `no API route ${pathname}`);
    const route = matching.find((candidate) => candidate.method === req.method);
    if (!route) {
      return sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: `${req.method} not allowed on ${pathname}` } }, { allow: matching.map((r) => r.method).join(", ") });
    }
    if (!route.isPublic && !isOperator(req.headers, context.secrets)) {
      throw new AppError("UNAUTHORIZED", "sign in, or send Authorization: Bearer <PRECACHE_API_TOKEN>");
    }
    const params = route.path.exec(pathname)!.slice(1);
    const body = req.method === "GET" ? {} : await readJson(req);
    const result = await route.handle(context, { params, body, headers: req.headers });
    if (result.text !== undefined) sendText(res, result.status, result.text, result.headers);
    else sendJson(res, result.status, result.body, result.headers);
  } catch (error) {
    sendError(res, error, context.log);
  }
}
