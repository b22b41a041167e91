// A real Keystone (Debian's package) for tests: sqlite database and key repositories in a temp
// dir, served by uwsgi on 127.0.0.1 and a free port (DESIGN §8). One per test file: cold start
// takes about 20 s. Missing Keystone: a printed skip on a laptop, a failure under CI=true.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./production-server.ts";
import { spawnService, waitForService } from "./service-process.ts";

const run = promisify(execFile);
const KEYSTONE_MANAGE = "/usr/bin/keystone-manage";
const KEYSTONE_WSGI = "/usr/bin/keystone-wsgi-public";
const UWSGI = "/usr/bin/uwsgi";
export const KEYSTONE_ADMIN_PASSWORD = "keystone-admin-secret";

export type KeystoneUser = { name: string; password: string; roles: string[] };

export type RunningKeystone = {
  /** e.g. http://127.0.0.1:35123/v3 */
  url: string;
  dir: string;
  /** An admin token scoped to the admin project, for setting things up. */
  adminToken(): Promise<string>;
  /** Creates a project (in the Default domain) and returns its id. */
  createProject(name: string): Promise<string>;
  /** Creates a user in the Default domain with these roles on the project. */
  createUser(projectId: string, user: KeystoneUser): Promise<string>;
  stop(): Promise<void>;
};

/** Skip reason, or null when Keystone is installed (under CI a missing one fails instead). */
export function keystoneSkipReason(): string | null {
  const missing = [KEYSTONE_MANAGE, KEYSTONE_WSGI, UWSGI, "/usr/lib/uwsgi/plugins/python3_plugin.so"].filter(
    (file) => !fs.existsSync(file),
  );
  if (missing.length === 0) return null;
  const reason = `Keystone not installed (${missing.join(", ")} missing): apt-get install -y --no-install-recommends keystone uwsgi uwsgi-plugin-python3`;
  if (process.env.CI === "true" || process.env.CI === "1") throw new Error(`CI=true requires a real Keystone: ${reason}`);
  console.warn(`skipping Keystone tests: ${reason}`);
  return reason;
}

export async function startKeystone(): Promise<RunningKeystone> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-keystone-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/v3/`;
  const config = path.join(dir, "keystone.conf");
  fs.writeFileSync(
    config,
    [
      "[DEFAULT]",
      "use_stderr = true",
      "[database]",
      `connection = sqlite:///${dir}/keystone.db`,
      "[fernet_tokens]",
      `key_repository = ${dir}/fernet-keys`,
      "[fernet_receipts]",
      `key_repository = ${dir}/fernet-receipts`,
      "[credential]",
      `key_repository = ${dir}/credential-keys`,
      "",
    ].join("\n"),
  );
  const manage = (...args: string[]) => run(KEYSTONE_MANAGE, ["--config-file", config, ...args], { timeout: 120_000 });
  const owner = ["--keystone-user", "root", "--keystone-group", "root"];
  await manage("db_sync");
  // One sqlite file shared by keystone-manage and uwsgi: WAL keeps readers off writers' locks.
  await run("python3", [
    "-c",
    `import sqlite3; sqlite3.connect(${JSON.stringify(`${dir}/keystone.db`)}).execute("pragma journal_mode=wal")`,
  ]);
  await manage("fernet_setup", ...owner);
  await manage("credential_setup", ...owner);
  await manage(
    "bootstrap",
    "--bootstrap-password",
    KEYSTONE_ADMIN_PASSWORD,
    "--bootstrap-admin-url",
    base,
    "--bootstrap-public-url",
    base,
    "--bootstrap-internal-url",
    base,
    "--bootstrap-region-id",
    "RegionOne",
  );
  const service = spawnService(
    UWSGI,
    [
      "--plugins",
      "python3",
      "--http-socket",
      `127.0.0.1:${port}`,
      "--wsgi-file",
      KEYSTONE_WSGI,
      "--master",
      "--lazy-apps",
      "--processes",
      "1",
      "--threads",
      "1",
      "--die-on-term",
    ],
    {
      dir,
      env: { ...process.env, OS_KEYSTONE_CONFIG_FILES: config },
    },
  );
  const url = `http://127.0.0.1:${port}/v3`;
  const stop = service.stop;
  try {
    await waitForService("keystone (uwsgi)", url, service);
  } catch (error) {
    await stop();
    throw error;
  }

  let roleIds: Map<string, string> | null = null;
  const adminToken = async () => {
    const response = await fetch(`${url}/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ["password"],
            password: { user: { name: "admin", domain: { id: "default" }, password: KEYSTONE_ADMIN_PASSWORD } },
          },
          scope: { project: { name: "admin", domain: { id: "default" } } },
        },
      }),
    });
    if (response.status !== 201) throw new Error(`keystone admin token: ${response.status} ${await response.text()}`);
    return response.headers.get("x-subject-token")!;
  };
  const call = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(url + route, {
      method,
      headers: { "x-auth-token": await adminToken(), "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`keystone ${method} ${route}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? null : response.json();
  };
  return {
    url,
    dir,
    adminToken,
    async createProject(name) {
      const { project } = await call("POST", "/projects", { project: { name, domain_id: "default" } });
      return project.id as string;
    },
    async createUser(projectId, user) {
      roleIds ??= new Map(((await call("GET", "/roles")).roles as { id: string; name: string }[]).map((role) => [role.name, role.id]));
      const created = await call("POST", "/users", { user: { name: user.name, password: user.password, domain_id: "default" } });
      for (const role of user.roles) {
        const roleId = roleIds.get(role) ?? (await call("POST", "/roles", { role: { name: role } })).role.id;
        roleIds.set(role, roleId);
        await call("PUT", `/projects/${projectId}/users/${created.user.id}/roles/${roleId}`);
      }
      return created.user.id as string;
    },
    stop,
  };
}
