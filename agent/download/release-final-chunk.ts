// undici stops parsing a response when its body buffer is full, until the reader catches up. If
// the chunk that fills it is the one that ends a Content-Length body, the message is left unended;
// a FIN read meanwhile (the origin's keep-alive timer, a proxy closing) fails a keep-alive
// response as "other side closed" and discards the whole buffered tail, which the agent then
// fetches again (undici 7.30 client-h1.js onHttpSocketEnd; unchanged in 8.10).
import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";

/**
 * An interceptor that never pauses the parser on the chunk that completes a Content-Length body,
 * so the response ends at its last byte whatever the socket does next. The reader's buffer holds
 * at most that one chunk more; every earlier chunk keeps its backpressure.
 */
export const releaseFinalChunk: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) => {
  let expectedBytes: number | null = null;
  let receivedBytes = 0;
  return dispatch(options, {
    onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
    onRequestUpgrade: (controller, statusCode, headers, socket) => handler.onRequestUpgrade?.(controller, statusCode, headers, socket),
    onResponseStart(controller, statusCode, headers, statusMessage) {
      expectedBytes = contentLength(headers);
      receivedBytes = 0;
      handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
    },
    onResponseData(controller, chunk) {
      receivedBytes += chunk.length;
      const isFinal = expectedBytes !== null && receivedBytes >= expectedBytes;
      handler.onResponseData?.(isFinal ? withoutPause(controller) : controller, chunk);
    },
    onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
    onResponseError: (controller, error) => handler.onResponseError?.(controller, error),
  });
};

function contentLength(headers: IncomingHttpHeaders): number | null {
  const value = headers["content-length"];
  const bytes = Number(Array.isArray(value) ? value[0] : value);
  return value !== undefined && Number.isSafeInteger(bytes) && bytes >= 0 ? bytes : null;
}

function withoutPause(controller: Dispatcher.DispatchController): Dispatcher.DispatchController {
  return {
    get aborted() {
      return controller.aborted;
    },
    get paused() {
      return controller.paused;
    },
    get reason() {
      return controller.reason;
    },
    abort: (reason) => controller.abort(reason),
    pause: () => {},
    resume: () => controller.resume(),
  };
}
