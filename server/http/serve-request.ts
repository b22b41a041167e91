// Every HTTP request enters here: the origin, the REST API or the dashboard. Whatever a handler
// does (throw, reject, throw synchronously), the request is answered and the process lives on.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { AppContext } from "../context.ts";
import { isArtifactRequest, serveArtifact } from "../origin/serve-artifact.ts";
import { handleApi } from "./handle-api.ts";
import { requestPathname } from "./request-target.ts";
import { sendErrorCode } from "./respond.ts";

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function createRequestListener(
  context: AppContext,
  artifactDir: string,
  pages: RequestHandler | undefined,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { log } = context;
  return (req, res) => {
    // A client that goes away mid-body makes req emit 'error'; unheard, that would be thrown.
    req.on("error", () => undefined);
    res.on("error", () => undefined);
    const pathname = requestPathname(req.url);
    if (pathname === null) {
      res.shouldKeepAlive = false;
      return sendErrorCode(res, "BAD_REQUEST", "request target must be a path starting with a single /");
    }
    const handled = new Promise<void>((resolve) => {
      resolve(
        isArtifactRequest(pathname)
          ? serveArtifact(req, res, pathname, artifactDir)
          : pathname.startsWith("/api/")
            ? handleApi(context, req, res, pathname)
            : pages
              ? pages(req, res)
              : void res.writeHead(404).end("dashboard not served by this process"),
      );
    });
    handled.catch((error: unknown) => answerFailure(res, error, pathname, log));
  };
}

function answerFailure(res: ServerResponse, error: unknown, pathname: string, log: Logger): void {
  log.error({ err: error, pathname }, "request failed");
  if (res.headersSent) return void res.destroy(); // half a response: cut it so the client does not wait
  try {
    sendErrorCode(res, "INTERNAL", "internal error (see server log)");
  } catch {
    res.destroy();
  }
}
