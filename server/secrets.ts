// Tokens and the admin password. Taken from the environment; on a laptop without them we
// generate them once into <data dir>/secrets.json (0600) and say so. Production refuses that.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import type { Env } from "./env.ts";
import { AppError } from "./errors.ts";
import { type ArtifactKeyRing, loadArtifactKeyRing } from "./keys/artifact-key-ring.ts";
import { writeSecretFile } from "./secure-data-dir.ts";

export type Secrets = {
  agentToken: string;
  apiToken: string;
  adminPassword: string;
  sessionSecret: string;
  /** Wraps and unwraps the keys of sealed (private images') artifacts. */
  artifactKeys: ArtifactKeyRing;
};

export function loadSecrets(env: Env, log: Logger): Secrets {
  const missing = [!env.PRECACHE_AGENT_TOKEN && "PRECACHE_AGENT_TOKEN", !env.PRECACHE_API_TOKEN && "PRECACHE_API_TOKEN"].filter(
    Boolean,
  ) as string[];
  if (missing.length && env.isProduction && !env.PRECACHE_INSECURE) {
    throw new AppError(
      "CONFIG_INVALID",
      `${missing.join(" and ")} not set: refusing to start with NODE_ENV=production (set them, or PRECACHE_INSECURE=1 to use generated ones)`,
    );
  }
  const file = path.join(env.dataDir, "secrets.json");
  const stored = readStored(file);
  const generated: Omit<Secrets, "artifactKeys"> = {
    agentToken: stored.agentToken ?? randomSecret(),
    apiToken: stored.apiToken ?? randomSecret(),
    adminPassword: stored.adminPassword ?? randomSecret().slice(0, 16),
    sessionSecret: stored.sessionSecret ?? randomSecret(),
  };
  fs.mkdirSync(env.dataDir, { recursive: true, mode: 0o700 });
  writeSecretFile(file, JSON.stringify(generated, null, 2));
  const secrets: Secrets = {
    agentToken: env.PRECACHE_AGENT_TOKEN ?? generated.agentToken,
    apiToken: env.PRECACHE_API_TOKEN ?? generated.apiToken,
    adminPassword: env.PRECACHE_ADMIN_PASSWORD ?? env.PRECACHE_API_TOKEN ?? generated.adminPassword,
    sessionSecret: env.PRECACHE_SESSION_SECRET ?? generated.sessionSecret,
    artifactKeys: loadArtifactKeyRing(env, log),
  };
  if (missing.length) {
    log.warn(
      { file, missing },
      `${missing.join(" and ")} not set: using generated secrets stored in ${file}. Set them before exposing this server.`,
    );
  }
  const unshared = unsharedSecrets(env);
  if (unshared.length) {
    log.warn(
      { unshared },
      `servers sharing this database must share ${unshared.join(", ")}: set the same values on each (or give them one data dir), or agents, dashboards and sealed images break when they move between servers`,
    );
  }
  if (!env.PRECACHE_ADMIN_PASSWORD && !env.PRECACHE_API_TOKEN) {
    // On its own lines, not inside a JSON warning: the one thing a first start must show.
    log.warn({ file }, "dashboard sign-in password generated (shown below, kept in the file)");
    process.stdout.write(signInBanner(secrets.adminPassword, file, Boolean(process.stdout.isTTY)));
  }
  return secrets;
}

/** With Postgres (several servers may share it), what each server would otherwise generate for itself. */
export function unsharedSecrets(env: Env): string[] {
  if (!env.DATABASE_URL) return [];
  return [
    !env.PRECACHE_AGENT_TOKEN && "PRECACHE_AGENT_TOKEN",
    !env.PRECACHE_API_TOKEN && "PRECACHE_API_TOKEN",
    !env.PRECACHE_SESSION_SECRET && "PRECACHE_SESSION_SECRET",
    !env.PRECACHE_ADMIN_PASSWORD && !env.PRECACHE_API_TOKEN && "PRECACHE_ADMIN_PASSWORD",
    !env.PRECACHE_KEK && !env.PRECACHE_KEK_FILE && "PRECACHE_KEK",
  ].filter(Boolean) as string[];
}

/** A framed, highlighted (at a terminal) note with the bootstrap admin's sign-in. */
export function signInBanner(password: string, file: string, highlight: boolean): string {
  const lines = [`Dashboard sign-in:  user admin   password ${password}`, `(generated; kept in ${file})`];
  const width = Math.max(...lines.map((line) => line.length));
  const bold = (text: string) => (highlight ? `\x1b[1;33m${text}\x1b[0m` : text);
  const rule = `+${"-".repeat(width + 2)}+`;
  const body = lines.map((line, index) => `| ${index === 0 ? bold(line.padEnd(width)) : line.padEnd(width)} |`);
  return `\n${[rule, ...body, rule].join("\n")}\n\n`;
}

function readStored(file: string): Partial<Secrets> {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Partial<Secrets>;
  } catch {
    return {};
  }
}

function randomSecret(): string {
  return crypto.randomBytes(24).toString("base64url");
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && crypto.timingSafeEqual(left, right);
}
