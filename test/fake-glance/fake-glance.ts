// A small Glance v2 + Keystone v3 on 127.0.0.1 that answers the way the real services do, for integration tests.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fakeImage, glanceImageJson, type FakeImage } from "./fake-image.ts";
import { FakeKeystone, type FakeKeystoneConfig } from "./fake-keystone.ts";

export type FakeGlanceOptions = {
  images?: Partial<FakeImage>[];
  /** Glance's api_limit_max: the most images one page returns, whatever limit the client asks for. */
  pageSize?: number;
  /** Reject requests without a valid X-Auth-Token; defaults to true when keystone is configured. */
  requireToken?: boolean;
  keystone?: FakeKeystoneConfig;
};

export type RecordedRequest = { method: string; path: string; headers: http.IncomingHttpHeaders };

export type FakeGlance = {
  /** The public image endpoint (no path prefix). */
  url: string;
  /** The internal image endpoint, which like devstack sits under /image. */
  internalUrl: string;
  keystoneUrl: string;
  requests: RecordedRequest[];
  setImage(image: Partial<FakeImage>): FakeImage;
  removeImage(id: string): void;
  /** Invalidate every issued token, as a Keystone restart with rotated keys would. */
  revokeTokens(): void;
  close(): Promise<void>;
};

const INTERNAL_PREFIX = "/image";
const DEFAULT_LIMIT = 25;

export async function startFakeGlance(options: FakeGlanceOptions = {}): Promise<FakeGlance> {
  const images = new Map<string, FakeImage>();
  for (const input of options.images ?? []) {
    const image = fakeImage(input);
    images.set(image.id, image);
  }
  const requests: RecordedRequest[] = [];
  const requireToken = options.requireToken ?? Boolean(options.keystone);
  let keystone: FakeKeystone | null = null;

  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? "GET", path: req.url ?? "/", headers: req.headers });
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      if (url.pathname === "/v3/auth/tokens" && req.method === "POST" && keystone) {
        const reply = keystone.issueToken(parseJson(Buffer.concat(chunks)));
        return sendJson(res, reply.status, reply.body, reply.headers);
      }
      const pathname = url.pathname.startsWith(`${INTERNAL_PREFIX}/`) ? url.pathname.slice(INTERNAL_PREFIX.length) : url.pathname;
      if (!pathname.startsWith("/v2/")) return sendText(res, 404, "404 Not Found", "The resource could not be found.");
      if (requireToken && !keystone?.isValid(header(req, "x-auth-token"))) {
        return sendText(
          res,
          401,
          "401 Unauthorized",
          "This server could not verify that you are authorized to access the document you requested.",
        );
      }
      if (req.method !== "GET") return sendText(res, 405, "405 Method Not Allowed", "Method not allowed here.");
      const match = /^\/v2\/images(?:\/([^/]+)(\/file)?)?$/.exec(pathname);
      if (!match) return sendText(res, 404, "404 Not Found", "The resource could not be found.");
      const [, id, file] = match;
      if (!id) return listImages(res, url.searchParams);
      const image = images.get(decodeURIComponent(id));
      if (!image) return sendText(res, 404, "404 Not Found", `No image found with ID ${id}`);
      if (!file) return sendJson(res, 200, glanceImageJson(image));
      return sendFile(res, image);
    });
  });

  function listImages(res: http.ServerResponse, params: URLSearchParams): void {
    const sortKey = (params.get("sort_key") ?? "created_at") as keyof FakeImage;
    const direction = params.get("sort_dir") === "asc" ? 1 : -1;
    const sorted = [...images.values()].sort(
      (a, b) => direction * (String(a[sortKey]).localeCompare(String(b[sortKey])) || a.id.localeCompare(b.id)),
    );
    const marker = params.get("marker");
    const start = marker ? sorted.findIndex((image) => image.id === marker) + 1 : 0;
    if (marker && start === 0) return sendText(res, 400, "400 Bad Request", `Invalid marker ${marker}`);
    const limit = Math.min(Number(params.get("limit") ?? DEFAULT_LIMIT), options.pageSize ?? 1000);
    const page = sorted.slice(start, start + limit);
    const rest = new URLSearchParams([...params].filter(([key]) => key !== "marker"));
    const body: Record<string, unknown> = {
      images: page.map(glanceImageJson),
      first: `/v2/images${rest.size ? `?${rest}` : ""}`,
      schema: "/v2/schemas/images",
    };
    // Like Glance, a full page always gets a next link, so the client may fetch one empty last page.
    const last = page.at(-1);
    if (last && page.length === limit) body.next = `/v2/images?${new URLSearchParams([["marker", last.id], ...rest])}`;
    sendJson(res, 200, body);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (options.keystone) {
    keystone = new FakeKeystone(options.keystone, {
      identity: `${origin}/v3`,
      publicImage: origin,
      internalImage: `${origin}${INTERNAL_PREFIX}`,
      otherRegionImage: `${origin}/other-region`,
    });
  }

  return {
    url: origin,
    internalUrl: `${origin}${INTERNAL_PREFIX}`,
    keystoneUrl: `${origin}/v3`,
    requests,
    setImage(input) {
      const image = fakeImage(input);
      images.set(image.id, image);
      return image;
    },
    removeImage(id) {
      images.delete(id);
    },
    revokeTokens() {
      keystone?.revokeAll();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function sendFile(res: http.ServerResponse, image: FakeImage): void {
  if (image.status === "deactivated") return sendText(res, 403, "403 Forbidden", "The requested image has been deactivated.");
  if (!image.data) {
    res.writeHead(204);
    return void res.end();
  }
  res.writeHead(200, {
    "content-type": "application/octet-stream",
    "content-length": String(image.data.length),
    ...(image.checksum ? { "content-md5": image.checksum } : {}),
  });
  res.end(image.data);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

// Glance's errors come from webob as small HTML pages.
function sendText(res: http.ServerResponse, status: number, title: string, detail: string): void {
  res.writeHead(status, { "content-type": "text/html; charset=UTF-8" });
  res.end(`<html>\n <head>\n  <title>${title}</title>\n </head>\n <body>\n  <h1>${title}</h1>\n  ${detail}<br /><br />\n </body>\n</html>`);
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseJson(buffer: Buffer): unknown {
  try {
    return JSON.parse(buffer.toString("utf8"));
  } catch {
    return undefined;
  }
}
