// Keystone v3 tokens for Glance: authenticate, find the image endpoint in the catalog, cache until near expiry.
import { request } from "undici";
import { z } from "zod";
import { AppError, isAppError, type ErrorCode } from "../errors.ts";

export type EndpointInterface = "public" | "internal" | "admin";

export type KeystoneCredentials =
  | {
      method: "password";
      password: string;
      username?: string;
      userId?: string;
      userDomainName?: string;
      userDomainId?: string;
      projectName?: string;
      projectId?: string;
      projectDomainName?: string;
      projectDomainId?: string;
    }
  | { method: "application_credential"; id: string; secret: string };

export type KeystoneSettings = {
  /** Keystone URL, with or without the trailing /v3. */
  authUrl: string;
  credentials: KeystoneCredentials;
  interface: EndpointInterface;
  regionName: string | null;
  /** Use this Glance URL instead of the catalog's, like the openstack CLI's --os-image-url. */
  endpointOverride?: string | null;
};

export type KeystoneSession = { token: string; glanceUrl: string; expiresAt: number };

// Refresh a minute early so a token never expires between handing it out and Glance checking it.
const REFRESH_MARGIN_MS = 60_000;

const tokenResponseSchema = z.object({
  token: z.object({
    expires_at: z.string(),
    catalog: z
      .array(
        z.object({
          type: z.string(),
          endpoints: z.array(
            z.object({
              interface: z.string(),
              url: z.string(),
              region_id: z.string().nullish(),
              region: z.string().nullish(),
            }),
          ),
        }),
      )
      .nullish(),
  }),
});

type Catalog = NonNullable<z.infer<typeof tokenResponseSchema>["token"]["catalog"]>;

export class KeystoneAuth {
  readonly settings: KeystoneSettings;
  readonly tokensUrl: string;
  private readonly now: () => number;
  private session: (KeystoneSession & { refreshAt: number }) | null = null;
  private pending: Promise<KeystoneSession> | null = null;

  constructor(settings: KeystoneSettings, options: { now?: () => number } = {}) {
    this.settings = settings;
    this.tokensUrl = `${identityV3Url(settings.authUrl)}/auth/tokens`;
    this.now = options.now ?? Date.now;
  }

  describe(): string {
    const { interface: endpointInterface, regionName, endpointOverride } = this.settings;
    const endpoint = endpointOverride
      ? `endpoint ${endpointOverride}`
      : `${endpointInterface} endpoint${regionName ? ` in ${regionName}` : ""}`;
    return `Keystone ${identityV3Url(this.settings.authUrl)} as ${principal(this.settings.credentials)}, ${endpoint}`;
  }

  /** A token and the Glance endpoint; concurrent callers share one authentication. */
  async getSession(): Promise<KeystoneSession> {
    if (this.session && this.now() < this.session.refreshAt) return this.session;
    this.pending ??= this.authenticate().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** Forget a token Glance refused, unless a newer one has already replaced it. */
  invalidate(token: string): void {
    if (this.session?.token === token) this.session = null;
  }

  private async authenticate(): Promise<KeystoneSession> {
    const url = this.tokensUrl;
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(authRequestBody(this.settings.credentials)),
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
    } catch (error) {
      throw keystoneError("GLANCE_UNREACHABLE", `keystone at ${url} is unreachable: ${networkReason(error)}`, error);
    }
    const { statusCode, headers, body } = response;
    if (statusCode === 401) {
      await body.dump();
      throw keystoneError(
        "GLANCE_AUTH_FAILED",
        `keystone rejected the credentials for ${principal(this.settings.credentials)} (401): check OS_PASSWORD or the application credential`,
      );
    }
    if (statusCode !== 201 && statusCode !== 200) {
      const text = (await body.text().catch(() => "")).slice(0, 300);
      throw keystoneError("GLANCE_ERROR", `keystone at ${url} answered ${statusCode}: ${text}`);
    }
    const token = headers["x-subject-token"];
    const parsed = tokenResponseSchema.safeParse(await body.json().catch(() => undefined));
    if (typeof token !== "string" || !token || !parsed.success) {
      throw keystoneError("GLANCE_ERROR", `keystone at ${url} answered without a usable token`);
    }
    const expiresAt = Date.parse(parsed.data.token.expires_at);
    if (Number.isNaN(expiresAt)) {
      throw keystoneError("GLANCE_ERROR", `keystone at ${url} sent an unreadable expires_at`);
    }
    const glanceUrl = this.settings.endpointOverride
      ? stripVersion(this.settings.endpointOverride)
      : findImageEndpoint(parsed.data.token.catalog ?? [], this.settings.interface, this.settings.regionName);
    const obtainedAt = this.now();
    // Short-lived tokens (tests, strict clouds) still get used for half their life rather than not at all.
    const margin = Math.min(REFRESH_MARGIN_MS, Math.max(0, expiresAt - obtainedAt) / 2);
    this.session = { token, glanceUrl, expiresAt, refreshAt: expiresAt - margin };
    return { token, glanceUrl, expiresAt };
  }
}

function identityV3Url(authUrl: string): string {
  const trimmed = authUrl.replace(/\/+$/, "");
  return /\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`;
}

// Catalogs sometimes publish Glance with its version; requests add /v2 themselves.
function stripVersion(url: string): string {
  return url.replace(/\/+$/, "").replace(/\/v2(\.\d+)?$/, "");
}

function principal(credentials: KeystoneCredentials): string {
  return credentials.method === "password"
    ? `user ${credentials.username ?? credentials.userId}`
    : `application credential ${credentials.id}`;
}

function authRequestBody(credentials: KeystoneCredentials): unknown {
  if (credentials.method === "application_credential") {
    return {
      auth: {
        identity: {
          methods: ["application_credential"],
          application_credential: { id: credentials.id, secret: credentials.secret },
        },
      },
    };
  }
  const user = credentials.userId
    ? { id: credentials.userId, password: credentials.password }
    : {
        name: credentials.username,
        domain: nameOrId(credentials.userDomainName, credentials.userDomainId),
        password: credentials.password,
      };
  const project = credentials.projectId
    ? { id: credentials.projectId }
    : {
        name: credentials.projectName,
        domain: nameOrId(credentials.projectDomainName, credentials.projectDomainId),
      };
  return {
    auth: {
      identity: { methods: ["password"], password: { user } },
      scope: { project },
    },
  };
}

function nameOrId(name: string | undefined, id: string | undefined): { name: string } | { id: string } | undefined {
  if (id) return { id };
  if (name) return { name };
  return undefined;
}

function findImageEndpoint(catalog: Catalog, endpointInterface: EndpointInterface, regionName: string | null): string {
  const endpoints = catalog.filter((service) => service.type === "image").flatMap((service) => service.endpoints);
  const match = endpoints.find(
    (endpoint) =>
      endpoint.interface === endpointInterface && (!regionName || endpoint.region_id === regionName || endpoint.region === regionName),
  );
  if (match) return stripVersion(match.url);
  const wanted = `interface "${endpointInterface}"${regionName ? ` in region "${regionName}"` : ""}`;
  const available = endpoints.map((endpoint) => `${endpoint.interface}/${endpoint.region_id ?? endpoint.region ?? "-"}`);
  throw keystoneError(
    "GLANCE_NOT_IN_CATALOG",
    `no image endpoint with ${wanted} in the keystone catalog (OS_INTERFACE, OS_REGION_NAME); ` +
      `available: ${available.length ? available.join(", ") : "none"}`,
  );
}

/** Errors from Keystone itself (not Glance), so health can tell which of the two is failing. */
export function isKeystoneError(error: unknown): boolean {
  return isAppError(error) && (error.details as { dependency?: string } | undefined)?.dependency === "keystone";
}

function keystoneError(code: ErrorCode, message: string, cause?: unknown): AppError {
  return new AppError(code, message, { cause, details: { dependency: "keystone" } });
}

function networkReason(error: unknown): string {
  const failure = error as { code?: string; message?: string; cause?: { code?: string } } | undefined;
  return failure?.code ?? failure?.cause?.code ?? failure?.message ?? String(error);
}
