// Operator sign-in with OpenStack credentials: Keystone v3 password auth scoped to the configured
// project; the user's roles on that project map to a Precache role (the highest mapped one wins).
import { request } from "undici";
import { z } from "zod";
import { ROLES, type Role } from "../../protocol/roles.ts";
import type { KeystoneSignInSettings } from "../env.ts";
import { AppError } from "../errors.ts";

export type KeystoneVerdict =
  | { ok: true; role: Role; keystoneRoles: string[] }
  /** Keystone refused the credentials, or the user holds no mapped role on the project. */
  | { ok: false; reason: string };

const tokenSchema = z.object({ token: z.object({ roles: z.array(z.object({ name: z.string() })).default([]) }) });

export async function keystoneSignIn(
  settings: KeystoneSignInSettings,
  credentials: { username: string; password: string; domain?: string },
): Promise<KeystoneVerdict> {
  const url = `${identityV3Url(settings.url)}/auth/tokens?nocatalog`;
  const body = {
    auth: {
      identity: {
        methods: ["password"],
        password: {
          user: { name: credentials.username, domain: { name: credentials.domain ?? settings.userDomain }, password: credentials.password },
        },
      },
      scope: { project: { name: settings.project, domain: { name: settings.projectDomain } } },
    },
  };
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
      // Sign-ins are rare: a fresh connection each time, never one Keystone's server already closed.
      reset: true,
    });
  } catch (error) {
    throw new AppError("KEYSTONE_UNAVAILABLE", `keystone at ${url} is unreachable for sign-in: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // 401: wrong password, unknown user, or no role at all on the project (Keystone cannot scope).
  if (response.statusCode === 401 || response.statusCode === 404) {
    await response.body.dump();
    return { ok: false, reason: "keystone refused the credentials" };
  }
  if (response.statusCode !== 201 && response.statusCode !== 200) {
    const text = (await response.body.text().catch(() => "")).slice(0, 200);
    throw new AppError("KEYSTONE_UNAVAILABLE", `keystone at ${url} answered ${response.statusCode} to a sign-in: ${text}`);
  }
  const parsed = tokenSchema.safeParse(await response.body.json().catch(() => undefined));
  if (!parsed.success) throw new AppError("KEYSTONE_UNAVAILABLE", `keystone at ${url} answered a sign-in without roles`);
  const keystoneRoles = parsed.data.token.roles.map((role) => role.name);
  const role = highestMappedRole(settings.roles, keystoneRoles);
  if (!role) return { ok: false, reason: `no mapped role on project ${settings.project} (has: ${keystoneRoles.join(", ") || "none"})` };
  return { ok: true, role, keystoneRoles };
}

export function highestMappedRole(map: Record<string, Role>, keystoneRoles: string[]): Role | null {
  let best: Role | null = null;
  for (const name of keystoneRoles) {
    const mapped = Object.hasOwn(map, name) ? map[name] : undefined;
    if (mapped && (best === null || ROLES.indexOf(mapped) > ROLES.indexOf(best))) best = mapped;
  }
  return best;
}

function identityV3Url(authUrl: string): string {
  const trimmed = authUrl.replace(/\/+$/, "");
  return /\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`;
}
