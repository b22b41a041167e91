// Who may sign in, and as what: the bootstrap admin (PRECACHE_ADMIN_PASSWORD, or the API token),
// then local accounts, then Keystone when configured. Throttled per account and per address;
// the caller logs and audits the verdict.
import type { Role } from "../../protocol/roles.ts";
import type { Db } from "../db/open-database.ts";
import { safeEqual, type Secrets } from "../secrets.ts";
import { ensureBootstrapAdmin } from "../users/manage-users.ts";
import type { Access } from "./access.ts";
import { BOOTSTRAP_ADMIN } from "./authenticate.ts";
import { keystoneSignIn } from "./keystone-sign-in.ts";
import { verifyDummyPassword, verifyPassword } from "./password-hash.ts";

export type SignInDeps = { db: Db; secrets: Secrets; access: Access };
export type SignInAttempt = { username?: string; password: string; domain?: string; address: string; userAgent?: string };
export type SignedInUser = { name: string; role: Role; source: "local" | "keystone" };

export type SignInVerdict =
  | { ok: true; user: SignedInUser; cookieValue: string; sessionId: string }
  | { ok: false; account: string; reason: string; retryAfterSeconds?: number };

export async function signIn(deps: SignInDeps, attempt: SignInAttempt): Promise<SignInVerdict> {
  const account = accountName(attempt);
  const waitMs = deps.access.throttle.retryAfterMs(account, attempt.address);
  if (waitMs > 0) return { ok: false, account, reason: "too many failed sign-ins", retryAfterSeconds: Math.ceil(waitMs / 1000) };
  const checked = await checkCredentials(deps, attempt);
  if (!checked.ok) {
    deps.access.throttle.recordFailure(account, attempt.address);
    return { ok: false, account, reason: checked.reason };
  }
  deps.access.throttle.recordSuccess(account);
  const { user } = checked;
  await deps.db.user.update({ where: { name: user.name }, data: { lastSignInAt: new Date() } });
  const { cookieValue, session } = await deps.access.sessions.create({
    userName: user.name,
    role: user.role,
    source: user.source,
    address: attempt.address,
    userAgent: attempt.userAgent,
  });
  return { ok: true, user, cookieValue, sessionId: session.id };
}

/** The throttled and audited name: what was typed, with its domain when one was given. */
function accountName(attempt: SignInAttempt): string {
  const name = attempt.username ?? BOOTSTRAP_ADMIN;
  return attempt.domain ? `${name}@${attempt.domain}` : name;
}

async function checkCredentials(
  deps: SignInDeps,
  attempt: SignInAttempt,
): Promise<{ ok: true; user: SignedInUser } | { ok: false; reason: string }> {
  const { password } = attempt;
  const username = attempt.username ?? BOOTSTRAP_ADMIN;
  if (username === BOOTSTRAP_ADMIN && !attempt.domain) {
    const { adminPassword, apiToken } = deps.secrets;
    // Both compared, always: how long this takes says nothing about which one matched.
    const isAdminPassword = safeEqual(password, adminPassword);
    const isApiToken = safeEqual(password, apiToken);
    if (!isAdminPassword && !isApiToken) return { ok: false, reason: "wrong password" };
    await ensureBootstrapAdmin(deps.db);
    return { ok: true, user: { name: BOOTSTRAP_ADMIN, role: "admin", source: "local" } };
  }
  const local = attempt.domain ? null : await deps.db.user.findUnique({ where: { name: username } });
  if (local?.source === "local") {
    const isRight = local.passwordHash ? await verifyPassword(password, local.passwordHash) : await verifyDummyPassword(password);
    if (!isRight) return { ok: false, reason: "wrong password" };
    if (local.disabledAt) return { ok: false, reason: "account disabled" };
    return { ok: true, user: { name: local.name, role: local.role as Role, source: "local" } };
  }
  const keystone = deps.access.keystone;
  if (!keystone) {
    await verifyDummyPassword(password);
    return { ok: false, reason: "unknown user" };
  }
  const verdict = await keystoneSignIn(keystone, { username, password, domain: attempt.domain });
  if (!verdict.ok) return verdict;
  const name = keystoneUserName(username, attempt.domain ?? keystone.userDomain, keystone.userDomain);
  const existing = await deps.db.user.findUnique({ where: { name } });
  if (existing && existing.source !== "keystone") return { ok: false, reason: `${name} is a local account` };
  if (existing?.disabledAt) return { ok: false, reason: "account disabled" };
  // The role follows Keystone at every sign-in; sessions opened under another role end.
  await deps.db.user.upsert({ where: { name }, create: { name, source: "keystone", role: verdict.role }, update: { role: verdict.role } });
  if (existing && existing.role !== verdict.role) await deps.access.sessions.revokeUser(name);
  return { ok: true, user: { name, role: verdict.role, source: "keystone" } };
}

/** Keystone users of the sign-in domain keep their name; others (and "admin") carry their domain. */
export function keystoneUserName(username: string, domain: string, defaultDomain: string): string {
  return domain.toLowerCase() === defaultDomain.toLowerCase() && username !== BOOTSTRAP_ADMIN ? username : `${username}@${domain}`;
}
