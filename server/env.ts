// Environment, parsed once at boot. Every bad variable is reported at once, by name and expected form.
import path from "node:path";
import { z } from "zod";
import { AppError } from "./errors.ts";
import { decodeKek, decodeKekList } from "./keys/kek-material.ts";

const flag = z
  .enum(["0", "1", "true", "false", ""])
  .optional()
  .transform((value) => (value === undefined || value === "" ? undefined : value === "1" || value === "true"));

const httpUrl = (what: string) =>
  z
    .string()
    .optional()
    .refine((value) => value === undefined || value === "" || /^https?:\/\/[^/\s]+/.test(value), {
      message: `must be an http(s) URL with scheme and host (${what})`,
    })
    .transform((value) => (value ? value.replace(/\/+$/, "") : undefined));

const schema = z.object({
  NODE_ENV: z.string().optional(),
  // An empty PORT= means the default, not port 0 (a random port).
  PORT: z.preprocess(
    (value) => (typeof value === "string" && value.trim() === "" ? undefined : value),
    z.coerce.number().int().min(0).max(65535).default(3000),
  ),
  HOST: z.string().default("0.0.0.0"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  DATABASE_URL: z
    .string()
    .optional()
    .refine((value) => !value || /^postgres(ql)?:\/\//.test(value), { message: "must start with postgresql://" }),
  /**
   * Several servers on one Postgres exchange Socket.io messages through Postgres (LISTEN/NOTIFY) by
   * default; set a Redis URL to use Redis for that instead (docs/BENCHMARKS.md compares them).
   */
  PRECACHE_REDIS_URL: z
    .string()
    .optional()
    .refine((value) => !value || /^rediss?:\/\//.test(value), { message: "must start with redis:// or rediss://" }),
  PRECACHE_DATA_DIR: z.string().default("data"),
  PRECACHE_IMAGE_DIR: z.string().optional(),
  PRECACHE_ARTIFACT_DIR: z.string().optional(),
  PRECACHE_PUBLIC_URL: httpUrl("e.g. http://precache.example.org:3000"),
  PRECACHE_AGENT_TOKEN: z.string().optional(),
  PRECACHE_API_TOKEN: z.string().optional(),
  PRECACHE_ADMIN_PASSWORD: z.string().optional(),
  PRECACHE_SESSION_SECRET: z.string().optional(),
  /** Where operators open the dashboard; its origin is the one cookie-authenticated changes must come from. */
  PRECACHE_DASHBOARD_URL: httpUrl("where operators open the dashboard, e.g. https://precache.example.org"),
  /** Behind a reverse proxy: believe its X-Forwarded-Proto and X-Forwarded-For. */
  PRECACHE_TRUST_PROXY: flag,
  PRECACHE_SIGN_IN_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  PRECACHE_SIGN_IN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).max(10_000).default(5),
  PRECACHE_SIGN_IN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(20),
  PRECACHE_KEYSTONE_URL: httpUrl("Keystone for operator sign-in, e.g. https://keystone:5000/v3"),
  PRECACHE_KEYSTONE_PROJECT: z.string().min(1).max(255).optional(),
  PRECACHE_KEYSTONE_PROJECT_DOMAIN: z.string().min(1).max(255).default("Default"),
  PRECACHE_KEYSTONE_USER_DOMAIN: z.string().min(1).max(255).default("Default"),
  PRECACHE_KEYSTONE_ROLES: z
    .string()
    .default("admin:admin,member:operator,reader:viewer")
    .transform((value, ctx) => {
      const map = parseRoleMap(value);
      if (!map)
        ctx.addIssue({
          code: "custom",
          message:
            "must be keystone-role:precache-role pairs, comma-separated, roles viewer|operator|admin (e.g. admin:admin,member:operator,reader:viewer)",
        });
      return map ?? {};
    }),
  PRECACHE_INSECURE: flag,
  PRECACHE_LOCAL_AGENT: flag,
  PRECACHE_LOCAL_AGENT_PROXIES: z.string().optional(),
  PRECACHE_RETENTION_DAYS: z.coerce.number().positive().default(30),
  /** How often downloading targets are reconciled with node inventories (a lost result). */
  PRECACHE_RECONCILE_SECONDS: z.coerce.number().min(0.1).max(3600).default(30),
  /** Tests only: a file naming a fail point (server/fail-points.ts) where this process freezes itself. */
  PRECACHE_FAIL_POINT_FILE: z.string().optional(),
  PRECACHE_AUDIT_RETENTION_DAYS: z.preprocess(
    (value) => (typeof value === "string" && value.trim() === "" ? undefined : value),
    z.coerce.number().int().min(1).max(36_500).default(365),
  ),
  /** Key-encryption key for artifact keys (base64, 32 bytes); else PRECACHE_KEK_FILE, else generated in the data dir. */
  PRECACHE_KEK: z
    .string()
    .optional()
    .refine((value) => !value || decodeKek(value) !== null, { message: "must be base64 of 32 bytes (openssl rand -base64 32)" }),
  PRECACHE_KEK_FILE: z.string().optional(),
  /** KEKs being rotated out: still unwrap, and keys under them are rewrapped with the current KEK at start. */
  PRECACHE_KEK_PREVIOUS: z
    .string()
    .optional()
    .refine((value) => !value || decodeKekList(value) !== null, { message: "must be comma-separated base64 keys of 32 bytes" }),
  /** Seal public images' artifacts too (private, shared and community ones always are). */
  PRECACHE_ENCRYPT_ALL_ARTIFACTS: flag,
  /** Only these owners' (Glance project ids) non-public images may be published; unset = any. */
  PRECACHE_ALLOWED_PROJECTS: z
    .string()
    .optional()
    .transform((value) =>
      value
        ? value
            .split(",")
            .map((entry) => entry.trim())
            .filter(Boolean)
        : undefined,
    ),
  GLANCE_URL: httpUrl("a Glance endpoint, e.g. http://glance:9292"),
  OS_CLOUD: z.string().optional(),
  OS_CLIENT_CONFIG_FILE: z.string().optional(),
  OS_AUTH_URL: httpUrl("Keystone, e.g. https://keystone:5000/v3"),
  OS_USERNAME: z.string().optional(),
  OS_USER_ID: z.string().optional(),
  OS_PASSWORD: z.string().optional(),
  OS_PROJECT_NAME: z.string().optional(),
  OS_PROJECT_ID: z.string().optional(),
  OS_USER_DOMAIN_NAME: z.string().optional(),
  OS_USER_DOMAIN_ID: z.string().optional(),
  OS_PROJECT_DOMAIN_NAME: z.string().optional(),
  OS_PROJECT_DOMAIN_ID: z.string().optional(),
  OS_REGION_NAME: z.string().optional(),
  OS_INTERFACE: z.enum(["public", "internal", "admin"]).optional(),
  OS_AUTH_TYPE: z.string().optional(),
  OS_APPLICATION_CREDENTIAL_ID: z.string().optional(),
  OS_APPLICATION_CREDENTIAL_SECRET: z.string().optional(),
});

export type RawEnv = z.infer<typeof schema>;

export type Env = RawEnv & {
  dataDir: string;
  imageDir: string;
  artifactDir: string;
  isProduction: boolean;
  /** Glance is configured (directly or through Keystone); otherwise images come from imageDir. */
  hasGlance: boolean;
  /** Operator sign-in through Keystone: null unless a project is configured. */
  keystoneSignIn: KeystoneSignInSettings | null;
};

export type KeystoneSignInSettings = {
  url: string;
  project: string;
  projectDomain: string;
  userDomain: string;
  roles: Record<string, "viewer" | "operator" | "admin">;
};

/** "admin:admin,member:operator" → { admin: "admin", member: "operator" }; null when malformed. */
function parseRoleMap(value: string): Record<string, "viewer" | "operator" | "admin"> | null {
  const map: Record<string, "viewer" | "operator" | "admin"> = Object.create(null);
  for (const pair of value
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match = /^([^:\s]+):(viewer|operator|admin)$/.exec(pair);
    if (!match) return null;
    map[match[1]] = match[2] as "viewer" | "operator" | "admin";
  }
  return map;
}

export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const result = schema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = issue.path.join(".");
      return `  ${name}=${JSON.stringify(redactCredentials(source[name] ?? ""))}: ${issue.message}`;
    });
    throw new AppError("CONFIG_INVALID", `invalid environment:\n${lines.join("\n")}`);
  }
  const raw = result.data;
  const dataDir = path.resolve(raw.PRECACHE_DATA_DIR);
  return {
    ...raw,
    dataDir,
    imageDir: path.resolve(raw.PRECACHE_IMAGE_DIR ?? path.join(dataDir, "images")),
    artifactDir: path.resolve(raw.PRECACHE_ARTIFACT_DIR ?? path.join(dataDir, "artifacts")),
    isProduction: raw.NODE_ENV === "production",
    hasGlance: Boolean(raw.GLANCE_URL || raw.OS_CLOUD || raw.OS_AUTH_URL),
    keystoneSignIn: keystoneSignIn(raw),
  };
}

function keystoneSignIn(raw: RawEnv): KeystoneSignInSettings | null {
  const url = raw.PRECACHE_KEYSTONE_URL ?? raw.OS_AUTH_URL;
  if (!raw.PRECACHE_KEYSTONE_PROJECT) return null;
  if (!url) {
    throw new AppError(
      "CONFIG_INVALID",
      "invalid environment:\n  PRECACHE_KEYSTONE_PROJECT is set but neither PRECACHE_KEYSTONE_URL nor OS_AUTH_URL names Keystone",
    );
  }
  return {
    url,
    project: raw.PRECACHE_KEYSTONE_PROJECT,
    projectDomain: raw.PRECACHE_KEYSTONE_PROJECT_DOMAIN,
    userDomain: raw.PRECACHE_KEYSTONE_USER_DOMAIN,
    roles: raw.PRECACHE_KEYSTONE_ROLES,
  };
}

/** A bad DATABASE_URL or OS_AUTH_URL may carry a password: never echo it into logs. */
function redactCredentials(value: string): string {
  return value.replace(/\/\/([^:@/\s]*):[^@/\s]*@/g, "//$1:***@");
}
