// Chooses how to reach Glance from the environment; null means images come from a directory instead.
import type { Env } from "../env.ts";
import { GlanceClient } from "./glance-client.ts";
import { KeystoneAuth } from "./keystone-auth.ts";
import { readOpenStackConfig } from "./openstack-config.ts";

/**
 * Keystone (OS_CLOUD or OS_AUTH_URL) wins when configured, with GLANCE_URL then overriding the catalog's
 * endpoint; GLANCE_URL alone means an unauthenticated Glance. Throws CONFIG_INVALID on incomplete settings.
 */
export function createGlanceSource(env: Env): GlanceClient | null {
  if (env.OS_CLOUD || env.OS_AUTH_URL) return new GlanceClient({ auth: new KeystoneAuth(readOpenStackConfig(env)) });
  if (env.GLANCE_URL) return new GlanceClient({ url: env.GLANCE_URL });
  return null;
}
