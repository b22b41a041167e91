// The per-process parts of operator access, built once at start: session and token stores
// (with their short caches and revocation listeners), the sign-in throttle, and the settings
// that say where the dashboard is served from.
import type { Db } from "../db/open-database.ts";
import type { Env, KeystoneSignInSettings } from "../env.ts";
import { ApiTokenStore } from "./api-token-store.ts";
import type { OriginSettings } from "./request-origin.ts";
import { SessionStore } from "./session-store.ts";
import { SignInThrottle } from "./sign-in-throttle.ts";

export type Access = {
  sessions: SessionStore;
  tokens: ApiTokenStore;
  throttle: SignInThrottle;
  origin: OriginSettings;
  keystone: KeystoneSignInSettings | null;
};

export function createAccess(env: Env, db: Db): Access {
  return {
    sessions: new SessionStore(db),
    tokens: new ApiTokenStore(db),
    throttle: new SignInThrottle({
      windowMs: env.PRECACHE_SIGN_IN_WINDOW_SECONDS * 1000,
      maxPerAccount: env.PRECACHE_SIGN_IN_MAX_FAILURES_PER_ACCOUNT,
      maxPerAddress: env.PRECACHE_SIGN_IN_MAX_FAILURES_PER_ADDRESS,
    }),
    origin: { dashboardUrl: env.PRECACHE_DASHBOARD_URL, trustProxy: env.PRECACHE_TRUST_PROXY ?? false },
    keystone: env.keystoneSignIn,
  };
}
