// Environment, parsed once at boot. Every bad variable is reported at once, by name and expected form.
import path from "node:path";
import { z } from "zod";
import { AppError } from "./errors.ts";

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
  PORT: z.preprocess((value) => (typeof value === "string" && value.trim() === "" ? undefined : value), z.coerce.number().int().min(0).max(65535).default(3000)),
  HOST: z.string().default("0.0.0.0"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  DATABASE_URL: z
    .string()
    .optional()
    .refine((value) => !value || /^postgres(ql)?:\/\//.test(value), { message: "must start with postgresql://" }),
  PRECACHE_DATA_DIR: z.string().default("data"),
  PRECACHE_IMAGE_DIR: z.string().optional(),
  PRECACHE_ARTIFACT_DIR: z.string().optional(),
  PRECACHE_PUBLIC_URL: httpUrl("e.g. http://precache.example.org:3000"),
  PRECACHE_AGENT_TOKEN: z.string().optional(),
  PRECACHE_API_TOKEN: z.string().optional(),
  PRECACHE_ADMIN_PASSWORD: z.string().optional(),
  PRECACHE_SESSION_SECRET: z.string().optional(),
  PRECACHE_INSECURE: flag,
  PRECACHE_LOCAL_AGENT: flag,
  PRECACHE_LOCAL_AGENT_PROXIES: z.string().optional(),
  PRECACHE_RETENTION_DAYS: z.coerce.number().positive().default(30),
  PRECACHE_AUDIT_RETENTION_DAYS: z.preprocess(
    (value) => (typeof value === "string" && value.trim() === "" ? undefined : value),
    z.coerce.number().int().min(1).max(36_500).default(365),
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
};

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
  };
}

/** A bad DATABASE_URL or OS_AUTH_URL may carry a password: never echo it into logs. */
function redactCredentials(value: string): string {
  return value.replace(/\/\/([^:@/\s]*):[^@/\s]*@/g, "//$1:***@");
}
