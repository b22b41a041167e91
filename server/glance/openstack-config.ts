// Keystone settings the way operators already write them: OS_* variables, or OS_CLOUD + clouds.yaml, env winning.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { Env } from "../env.ts";
import { AppError } from "../errors.ts";
import type { EndpointInterface, KeystoneSettings } from "./keystone-auth.ts";

// Each OS_* variable and the clouds.yaml key it overrides.
const cloudKeys = {
  OS_AUTH_URL: "auth.auth_url",
  OS_USERNAME: "auth.username",
  OS_USER_ID: "auth.user_id",
  OS_PASSWORD: "auth.password",
  OS_PROJECT_NAME: "auth.project_name",
  OS_PROJECT_ID: "auth.project_id",
  OS_USER_DOMAIN_NAME: "auth.user_domain_name",
  OS_USER_DOMAIN_ID: "auth.user_domain_id",
  OS_PROJECT_DOMAIN_NAME: "auth.project_domain_name",
  OS_PROJECT_DOMAIN_ID: "auth.project_domain_id",
  OS_APPLICATION_CREDENTIAL_ID: "auth.application_credential_id",
  OS_APPLICATION_CREDENTIAL_SECRET: "auth.application_credential_secret",
  OS_REGION_NAME: "region_name",
  OS_INTERFACE: "interface",
  OS_AUTH_TYPE: "auth_type",
} as const;

type Variable = keyof typeof cloudKeys;
type Values = Partial<Record<Variable, string>>;

// YAML turns numeric project ids into numbers; all we want is text.
const scalar = z
  .union([z.string(), z.number(), z.boolean()])
  .nullish()
  .transform((value) => (value === null || value === undefined || value === "" ? undefined : String(value)));

const cloudSchema = z.object({
  auth: z.record(z.string(), scalar).nullish(),
  region_name: scalar,
  interface: scalar,
  auth_type: scalar,
});

const cloudsFileSchema = z.object({ clouds: z.record(z.string(), cloudSchema.nullish()) });

type CloudSource = { cloud: string; file: string };

/** Keystone settings from env and clouds.yaml; throws CONFIG_INVALID naming every missing or bad variable. */
export function readOpenStackConfig(env: Env, options: { cwd?: string; homeDir?: string } = {}): KeystoneSettings {
  const fromCloud = env.OS_CLOUD ? readCloud(env, options) : null;
  const values: Values = { ...fromCloud?.values };
  for (const variable of Object.keys(cloudKeys) as Variable[]) {
    const value = env[variable];
    if (value) values[variable] = value;
  }
  const source = fromCloud ? { cloud: fromCloud.cloud, file: fromCloud.file } : null;
  const name = (variable: Variable) => (source ? `${variable} (${cloudKeys[variable]})` : variable);

  const problems: string[] = [];
  const authUrl = values.OS_AUTH_URL;
  if (!authUrl) problems.push(`missing ${name("OS_AUTH_URL")}`);
  else if (!/^https?:\/\/[^/\s]+/.test(authUrl)) problems.push(`${name("OS_AUTH_URL")}="${authUrl}" must be an http(s) URL`);

  const endpointInterface = normaliseInterface(values.OS_INTERFACE);
  if (!endpointInterface) problems.push(`${name("OS_INTERFACE")}="${values.OS_INTERFACE}" must be public, internal or admin`);

  const credentials = readCredentials(values, name, problems);
  if (problems.length > 0 || !authUrl || !endpointInterface || !credentials) {
    const where = source ? ` (cloud "${source.cloud}" in ${source.file}, overridden by the environment)` : "";
    throw new AppError("CONFIG_INVALID", `OpenStack settings are incomplete${where}: ${problems.join("; ")}`);
  }
  return {
    authUrl: authUrl.replace(/\/+$/, ""),
    credentials,
    interface: endpointInterface,
    regionName: values.OS_REGION_NAME ?? null,
    endpointOverride: env.GLANCE_URL ?? null,
  };
}

function readCredentials(values: Values, name: (variable: Variable) => string, problems: string[]): KeystoneSettings["credentials"] | null {
  const authType = (values.OS_AUTH_TYPE ?? (values.OS_APPLICATION_CREDENTIAL_ID ? "v3applicationcredential" : "password")).toLowerCase();
  if (authType === "v3applicationcredential" || authType === "applicationcredential") {
    const id = values.OS_APPLICATION_CREDENTIAL_ID;
    const secret = values.OS_APPLICATION_CREDENTIAL_SECRET;
    if (!id) problems.push(`missing ${name("OS_APPLICATION_CREDENTIAL_ID")}`);
    if (!secret) problems.push(`missing ${name("OS_APPLICATION_CREDENTIAL_SECRET")}`);
    return id && secret ? { method: "application_credential", id, secret } : null;
  }
  if (authType !== "password" && authType !== "v3password") {
    problems.push(`${name("OS_AUTH_TYPE")}="${values.OS_AUTH_TYPE}" is not supported; use password or v3applicationcredential`);
    return null;
  }
  const before = problems.length;
  if (!values.OS_USERNAME && !values.OS_USER_ID) problems.push(`missing ${name("OS_USERNAME")} or ${name("OS_USER_ID")}`);
  if (!values.OS_PASSWORD) problems.push(`missing ${name("OS_PASSWORD")}`);
  // Keystone resolves a user or project name only inside a domain; ids are global.
  if (values.OS_USERNAME && !values.OS_USER_ID && !values.OS_USER_DOMAIN_NAME && !values.OS_USER_DOMAIN_ID) {
    problems.push(`missing ${name("OS_USER_DOMAIN_NAME")} or ${name("OS_USER_DOMAIN_ID")} (needed with OS_USERNAME)`);
  }
  // An unscoped token has no catalog, so there would be no Glance endpoint to find.
  if (!values.OS_PROJECT_NAME && !values.OS_PROJECT_ID) {
    problems.push(`missing ${name("OS_PROJECT_NAME")} or ${name("OS_PROJECT_ID")}`);
  }
  if (values.OS_PROJECT_NAME && !values.OS_PROJECT_ID && !values.OS_PROJECT_DOMAIN_NAME && !values.OS_PROJECT_DOMAIN_ID) {
    problems.push(`missing ${name("OS_PROJECT_DOMAIN_NAME")} or ${name("OS_PROJECT_DOMAIN_ID")} (needed with OS_PROJECT_NAME)`);
  }
  if (problems.length > before || !values.OS_PASSWORD) return null;
  return {
    method: "password",
    password: values.OS_PASSWORD,
    username: values.OS_USERNAME,
    userId: values.OS_USER_ID,
    userDomainName: values.OS_USER_DOMAIN_NAME,
    userDomainId: values.OS_USER_DOMAIN_ID,
    projectName: values.OS_PROJECT_NAME,
    projectId: values.OS_PROJECT_ID,
    projectDomainName: values.OS_PROJECT_DOMAIN_NAME,
    projectDomainId: values.OS_PROJECT_DOMAIN_ID,
  };
}

// clouds.yaml written for older clients says publicURL/internalURL.
function normaliseInterface(value: string | undefined): EndpointInterface | null {
  const normalised = (value ?? "public").replace(/URL$/, "");
  return normalised === "public" || normalised === "internal" || normalised === "admin" ? normalised : null;
}

function readCloud(env: Env, options: { cwd?: string; homeDir?: string }): CloudSource & { values: Values } {
  const cloud = env.OS_CLOUD as string;
  const file = findCloudsFile(env, options);
  let parsed: z.infer<typeof cloudsFileSchema>;
  try {
    const result = cloudsFileSchema.safeParse(parseYaml(fs.readFileSync(file, "utf8")));
    if (!result.success) throw new Error(result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; "));
    parsed = result.data;
  } catch (error) {
    throw new AppError("CONFIG_INVALID", `cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const entry = parsed.clouds[cloud];
  if (!entry) {
    const known = Object.keys(parsed.clouds);
    throw new AppError(
      "CONFIG_INVALID",
      `OS_CLOUD="${cloud}" is not defined in ${file}; clouds there: ${known.length ? known.join(", ") : "none"}`,
    );
  }
  const values: Values = {};
  for (const [variable, key] of Object.entries(cloudKeys) as [Variable, string][]) {
    const value = key.startsWith("auth.") ? entry.auth?.[key.slice("auth.".length)] : entry[key as "region_name"];
    if (value) values[variable] = value;
  }
  return { cloud, file, values };
}

// The openstacksdk search order, with OS_CLIENT_CONFIG_FILE first.
function findCloudsFile(env: Env, options: { cwd?: string; homeDir?: string }): string {
  if (env.OS_CLIENT_CONFIG_FILE) {
    if (fs.existsSync(env.OS_CLIENT_CONFIG_FILE)) return env.OS_CLIENT_CONFIG_FILE;
    throw new AppError("CONFIG_INVALID", `OS_CLIENT_CONFIG_FILE="${env.OS_CLIENT_CONFIG_FILE}": file not found`);
  }
  const candidates = [
    path.join(options.cwd ?? process.cwd(), "clouds.yaml"),
    path.join(options.homeDir ?? os.homedir(), ".config", "openstack", "clouds.yaml"),
    "/etc/openstack/clouds.yaml",
  ];
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (found) return found;
  throw new AppError(
    "CONFIG_INVALID",
    `OS_CLOUD="${env.OS_CLOUD}" is set but no clouds.yaml was found; looked in ${candidates.join(", ")} ` +
      `(set OS_CLIENT_CONFIG_FILE to point at one)`,
  );
}
