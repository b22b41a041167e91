// Glance v2 as an ImageSource: list, describe and stream images, with or without Keystone tokens.
import { request, type Dispatcher } from "undici";
import { z } from "zod";
import { AppError } from "../errors.ts";
import type { KeystoneAuth } from "./keystone-auth.ts";
import type { ImageData, ImageSource, SourceImage } from "./source-image.ts";

/** A Glance endpoint that needs no token (GLANCE_URL), or one found and authorised through Keystone. */
export type GlanceConnection = { url: string } | { auth: KeystoneAuth };

const PAGE_SIZE = 100;

const optionalText = z
  .string()
  .nullish()
  .transform((value) => value ?? null);
const optionalNumber = z
  .number()
  .nullish()
  .transform((value) => value ?? null);

// Lenient on purpose: Glance adds fields and custom properties freely; we keep only what we use.
const glanceImageSchema = z.object({
  id: z.string().min(1),
  name: optionalText,
  status: z.string(),
  size: optionalNumber,
  virtual_size: optionalNumber,
  disk_format: optionalText,
  container_format: optionalText,
  checksum: optionalText,
  os_hash_algo: optionalText,
  os_hash_value: optionalText,
  visibility: optionalText,
  owner: optionalText,
  updated_at: optionalText,
});

const imageListSchema = z.object({ images: z.array(glanceImageSchema), next: optionalText });

type Sent = { response: Dispatcher.ResponseData; url: string };

export class GlanceClient implements ImageSource {
  readonly kind = "glance" as const;
  private readonly connection: GlanceConnection;

  constructor(connection: GlanceConnection) {
    this.connection = "url" in connection ? { url: stripVersion(connection.url) } : connection;
  }

  get usesKeystone(): boolean {
    return "auth" in this.connection;
  }

  describe(): string {
    return "url" in this.connection
      ? `Glance at ${this.connection.url} (no authentication)`
      : `Glance via ${this.connection.auth.describe()}`;
  }

  /** Every image visible to us, newest first, following Glance's `next` links to the end. */
  async listImages(): Promise<SourceImage[]> {
    const images: SourceImage[] = [];
    const seen = new Set<string>();
    let next: string | null = `/v2/images?limit=${PAGE_SIZE}&sort_key=created_at&sort_dir=desc`;
    while (next) {
      if (seen.has(next)) throw new AppError("GLANCE_ERROR", `Glance pagination repeats itself at ${next}`);
      seen.add(next);
      const { response, url } = await this.send(next, "application/json");
      if (response.statusCode !== 200) throw await unexpectedStatus(response, url);
      const page = await readJson(response, url, imageListSchema);
      images.push(...page.images.map(toSourceImage));
      next = page.next;
    }
    return images;
  }

  async getImage(id: string): Promise<SourceImage> {
    const { response, url } = await this.send(`/v2/images/${encodeURIComponent(id)}`, "application/json");
    if (response.statusCode === 404) {
      await response.body.dump();
      throw new AppError("IMAGE_NOT_FOUND", `image ${id} not found in Glance`);
    }
    if (response.statusCode !== 200) throw await unexpectedStatus(response, url);
    return toSourceImage(await readJson(response, url, glanceImageSchema));
  }

  /** Streams the image bytes straight from Glance; nothing is buffered here. */
  async openImageData(id: string): Promise<ImageData> {
    const image = await this.getImage(id);
    if (image.status !== "active") {
      throw new AppError(
        "IMAGE_NOT_ACTIVE",
        `image ${id} (${image.name || "unnamed"}) is ${image.status}; only active images can be downloaded`,
      );
    }
    const { response, url } = await this.send(`/v2/images/${encodeURIComponent(id)}/file`, "application/octet-stream");
    if (response.statusCode === 204) {
      await response.body.dump();
      throw new AppError("IMAGE_HAS_NO_DATA", `image ${id} (${image.name || "unnamed"}) has no data in Glance`);
    }
    if (response.statusCode === 404) {
      await response.body.dump();
      throw new AppError("IMAGE_NOT_FOUND", `image ${id} not found in Glance`);
    }
    if (response.statusCode !== 200) throw await unexpectedStatus(response, url);
    const header = response.headers["content-length"];
    const length = typeof header === "string" ? Number(header) : Number.NaN;
    return { stream: response.body, size: Number.isSafeInteger(length) && length >= 0 ? length : image.size };
  }

  // One GET; a 401 with a Keystone token means it was revoked or expired early, so re-authenticate once.
  private async send(reference: string, accept: string, isRetry = false): Promise<Sent> {
    const session = "auth" in this.connection ? await this.connection.auth.getSession() : null;
    const base = session ? session.glanceUrl : (this.connection as { url: string }).url;
    const url = resolveGlanceUrl(base, reference);
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: "GET",
        headers: session ? { accept, "x-auth-token": session.token } : { accept },
      });
    } catch (error) {
      throw new AppError("GLANCE_UNREACHABLE", `cannot reach Glance at ${url}: ${networkReason(error)}`, {
        cause: error,
      });
    }
    if (response.statusCode !== 401) return { response, url };
    await response.body.dump();
    if (session && !isRetry && "auth" in this.connection) {
      this.connection.auth.invalidate(session.token);
      return this.send(reference, accept, true);
    }
    throw new AppError(
      "GLANCE_AUTH_FAILED",
      session
        ? `Glance at ${url} refused a fresh keystone token (401)`
        : `Glance at ${url} requires authentication (401); configure OS_CLOUD or OS_AUTH_URL instead of a bare GLANCE_URL`,
    );
  }
}

/**
 * Glance writes `next` as /v2/images?... relative to its own root, unaware of any path prefix the endpoint
 * sits under (https://cloud/image); proxies sometimes add the prefix. Both land on the same URL here, and
 * the host is always ours so a token never leaves for somewhere else.
 */
function resolveGlanceUrl(base: string, reference: string): string {
  const root = new URL(base);
  const prefix = root.pathname.replace(/\/+$/, "");
  const target = new URL(reference, "http://glance.invalid/");
  let pathname = target.pathname;
  if (prefix && (pathname === prefix || pathname.startsWith(`${prefix}/`))) pathname = pathname.slice(prefix.length);
  if (!/^\/v2(\/|$)/.test(pathname)) pathname = `/v2${pathname}`;
  return `${root.origin}${prefix}${pathname}${target.search}`;
}

// Requests add /v2 themselves, so an endpoint given with its version would otherwise double it.
function stripVersion(url: string): string {
  return url.replace(/\/+$/, "").replace(/\/v2(\.\d+)?$/, "");
}

function toSourceImage(image: z.infer<typeof glanceImageSchema>): SourceImage {
  return {
    id: image.id,
    name: image.name ?? "",
    status: image.status,
    size: image.size,
    virtualSize: image.virtual_size,
    diskFormat: image.disk_format,
    containerFormat: image.container_format,
    checksum: image.checksum,
    osHashAlgo: image.os_hash_algo,
    osHashValue: image.os_hash_value,
    visibility: image.visibility,
    owner: image.owner,
    updatedAt: image.updated_at,
  };
}

async function readJson<T>(response: Dispatcher.ResponseData, url: string, schema: z.ZodType<T>): Promise<T> {
  let json: unknown;
  try {
    json = await response.body.json();
  } catch (error) {
    throw new AppError("GLANCE_ERROR", `Glance sent invalid JSON for ${url}`, { cause: error });
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new AppError("GLANCE_ERROR", `Glance sent an unexpected body for ${url}: ${issue?.path.join(".")}: ${issue?.message}`);
}

async function unexpectedStatus(response: Dispatcher.ResponseData, url: string): Promise<AppError> {
  const body = await response.body.text().catch(() => "");
  // Glance error pages are small HTML documents; their text is the useful part.
  const detail = body
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 200);
  return new AppError("GLANCE_ERROR", `Glance answered ${response.statusCode} for ${url}${detail ? `: ${detail}` : ""}`);
}

function networkReason(error: unknown): string {
  const failure = error as { code?: string; message?: string; cause?: { code?: string } } | undefined;
  return failure?.code ?? failure?.cause?.code ?? failure?.message ?? String(error);
}
