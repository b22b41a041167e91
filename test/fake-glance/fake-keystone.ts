// Keystone v3 POST /auth/tokens as Glance's clients see it: 201 + X-Subject-Token, expiry and a service catalog.
import { createHash, randomBytes } from "node:crypto";

export type FakeKeystoneConfig = {
  username: string;
  password: string;
  projectName: string;
  userDomain: string;
  projectDomain: string;
  appCredId?: string;
  appCredSecret?: string;
  region?: string;
  tokenTtlSeconds?: number;
};

export type CatalogUrls = { identity: string; publicImage: string; internalImage: string; otherRegionImage: string };

type Reply = { status: number; headers: Record<string, string>; body: unknown };

const idFor = (name: string) => createHash("md5").update(name).digest("hex");

export class FakeKeystone {
  readonly projectId: string;
  private readonly tokens = new Map<string, number>();

  constructor(
    private readonly config: FakeKeystoneConfig,
    private readonly urls: CatalogUrls,
  ) {
    this.projectId = idFor(config.projectName);
  }

  /** Tokens are valid until they expire or are revoked. */
  isValid(token: string | undefined): boolean {
    const expiresAt = token ? this.tokens.get(token) : undefined;
    return expiresAt !== undefined && expiresAt > Date.now();
  }

  revokeAll(): void {
    this.tokens.clear();
  }

  issueToken(body: unknown): Reply {
    const auth = (body as { auth?: AuthRequest } | undefined)?.auth;
    const methods = auth?.identity?.methods;
    if (!auth || !Array.isArray(methods)) return error(400, "Bad Request", "Expecting to find identity in auth.");
    const isAuthenticated = methods.includes("application_credential")
      ? this.checkApplicationCredential(auth)
      : methods.includes("password") && this.checkPassword(auth);
    if (!isAuthenticated) return error(401, "Unauthorized", "The request you have made requires authentication.");

    const token = `gAAAAA${randomBytes(24).toString("base64url")}`;
    const ttl = this.config.tokenTtlSeconds ?? 3600;
    const expiresAt = Date.now() + ttl * 1000;
    this.tokens.set(token, expiresAt);
    const isScoped = methods.includes("application_credential") || auth.scope?.project !== undefined;
    return {
      status: 201,
      headers: { "x-subject-token": token },
      body: {
        token: {
          methods,
          user: { id: idFor(this.config.username), name: this.config.username, domain: this.domain(this.config.userDomain) },
          audit_ids: [randomBytes(8).toString("base64url")],
          expires_at: new Date(expiresAt).toISOString().replace("Z", "000Z"),
          issued_at: new Date().toISOString().replace("Z", "000Z"),
          // Unscoped tokens carry no project and no catalog, as in real Keystone.
          ...(isScoped
            ? {
                project: { id: this.projectId, name: this.config.projectName, domain: this.domain(this.config.projectDomain) },
                roles: [{ id: idFor("reader"), name: "reader" }],
                catalog: this.catalog(),
              }
            : {}),
        },
      },
    };
  }

  private checkPassword(auth: AuthRequest): boolean {
    const user = auth.identity?.password?.user;
    const isUser =
      user?.password === this.config.password &&
      (user.id === idFor(this.config.username) ||
        (user.name === this.config.username && this.isDomain(user.domain, this.config.userDomain)));
    const project = auth.scope?.project;
    const isProject =
      project === undefined ||
      project.id === this.projectId ||
      (project.name === this.config.projectName && this.isDomain(project.domain, this.config.projectDomain));
    return Boolean(isUser && isProject);
  }

  private checkApplicationCredential(auth: AuthRequest): boolean {
    const credential = auth.identity?.application_credential;
    return Boolean(this.config.appCredId && credential?.id === this.config.appCredId && credential.secret === this.config.appCredSecret);
  }

  private domain(name: string) {
    return { id: name.toLowerCase(), name };
  }

  private isDomain(given: { id?: string; name?: string } | undefined, expected: string): boolean {
    return given?.name === expected || given?.id === expected.toLowerCase();
  }

  // The other region is listed first so a client that ignores OS_REGION_NAME picks the wrong endpoint.
  private catalog() {
    const region = this.config.region ?? "RegionOne";
    const endpoint = (iface: string, regionId: string, url: string) => ({
      id: idFor(`${iface}${regionId}${url}`),
      interface: iface,
      region_id: regionId,
      region: regionId,
      url,
    });
    return [
      { id: idFor("keystone"), type: "identity", name: "keystone", endpoints: [endpoint("public", region, this.urls.identity)] },
      {
        id: idFor("glance"),
        type: "image",
        name: "glance",
        endpoints: [
          endpoint("public", "RegionOther", this.urls.otherRegionImage),
          endpoint("internal", "RegionOther", this.urls.otherRegionImage),
          endpoint("public", region, this.urls.publicImage),
          endpoint("internal", region, this.urls.internalImage),
        ],
      },
    ];
  }
}

type AuthRequest = {
  identity?: {
    methods?: string[];
    password?: { user?: { id?: string; name?: string; password?: string; domain?: { id?: string; name?: string } } };
    application_credential?: { id?: string; secret?: string };
  };
  scope?: { project?: { id?: string; name?: string; domain?: { id?: string; name?: string } } };
};

function error(code: number, title: string, message: string): Reply {
  return { status: code, headers: {}, body: { error: { code, title, message } } };
}
