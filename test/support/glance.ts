// A real Glance (Debian's glance-api) for tests: sqlite database and a file store in a temp dir,
// on 127.0.0.1 and a free port, checking every token against a test Keystone (auth_strategy =
// keystone, [keystone_authtoken]). Registered in Keystone's catalog as the `image` service, so
// Precache finds it the way it finds a production Glance. Missing Glance: a printed skip on a
// laptop, a failure under CI=true.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { RunningKeystone } from "./keystone.ts";
import { freePort } from "./production-server.ts";
import { spawnService, waitForService } from "./service-process.ts";

const run = promisify(execFile);
const GLANCE_API = "/usr/bin/glance-api";
const GLANCE_MANAGE = "/usr/bin/glance-manage";
const PASTE_CONFIG = "/etc/glance/glance-api-paste.ini";
const SERVICE_PASSWORD = "glance-service-secret";

export type GlanceTenant = { projectId: string; token(): Promise<string> };

export type RunningGlance = {
  url: string;
  dir: string;
  /** A project with a member user whose token uploads images, as a tenant would. */
  createTenant(name: string): Promise<GlanceTenant>;
  /** Creates and uploads an image as `tenant`; returns its id once Glance says it is active. */
  uploadImage(tenant: GlanceTenant, image: { name: string; data: Buffer; visibility: string; diskFormat?: string }): Promise<string>;
  stop(): Promise<void>;
};

export function glanceSkipReason(): string | null {
  const missing = [GLANCE_API, GLANCE_MANAGE, PASTE_CONFIG].filter((file) => !fs.existsSync(file));
  if (missing.length === 0) return null;
  const reason = `Glance not installed (${missing.join(", ")} missing): apt-get install -y --no-install-recommends glance-api`;
  if (process.env.CI === "true" || process.env.CI === "1") throw new Error(`CI=true requires a real Glance: ${reason}`);
  console.warn(`skipping Glance tests: ${reason}`);
  return reason;
}

export async function startGlance(keystone: RunningKeystone): Promise<RunningGlance> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-glance-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const admin = keystoneAdmin(keystone);
  const serviceProject = await keystone.createProject(`service-${path.basename(dir)}`);
  const serviceUser = `glance-${path.basename(dir)}`;
  await keystone.createUser(serviceProject, { name: serviceUser, password: SERVICE_PASSWORD, roles: ["admin", "service"] });
  await admin.registerImageService(url);
  const config = path.join(dir, "glance-api.conf");
  fs.mkdirSync(path.join(dir, "images"));
  fs.mkdirSync(path.join(dir, "staging"));
  fs.mkdirSync(path.join(dir, "tasks"));
  fs.writeFileSync(
    config,
    [
      "[DEFAULT]",
      "bind_host = 127.0.0.1",
      `bind_port = ${port}`,
      "workers = 1",
      "use_stderr = true",
      "enabled_backends = store:file",
      "[database]",
      `connection = sqlite:///${dir}/glance.db`,
      "[glance_store]",
      "default_backend = store",
      "[store]",
      `filesystem_store_datadir = ${dir}/images`,
      "[os_glance_staging_store]",
      `filesystem_store_datadir = ${dir}/staging`,
      "[os_glance_tasks_store]",
      `filesystem_store_datadir = ${dir}/tasks`,
      "[paste_deploy]",
      "flavor = keystone",
      `config_file = ${PASTE_CONFIG}`,
      "[keystone_authtoken]",
      `www_authenticate_uri = ${keystone.url}`,
      `auth_url = ${keystone.url}`,
      "auth_type = password",
      "user_domain_id = default",
      "project_domain_id = default",
      `project_id = ${serviceProject}`,
      `username = ${serviceUser}`,
      `password = ${SERVICE_PASSWORD}`,
      "service_token_roles_required = true",
      "",
    ].join("\n"),
  );
  await run(GLANCE_MANAGE, ["--config-file", config, "db_sync"], { timeout: 180_000 });
  const service = spawnService(GLANCE_API, ["--config-file", config], { dir });
  const output = service.output;
  try {
    await waitForService("glance-api", `${url}/healthcheck`, service);
  } catch (error) {
    await service.stop();
    throw error;
  }
  return {
    url,
    dir,
    async createTenant(name) {
      const projectId = await keystone.createProject(name);
      const user = { name: `${name}-user`, password: `${name}-secret`, roles: ["member", "reader"] };
      await keystone.createUser(projectId, user);
      return { projectId, token: () => projectToken(keystone.url, user.name, user.password, projectId) };
    },
    async uploadImage(tenant, image) {
      let headers = { "x-auth-token": "", "content-type": "application/json" };
      let created: Response | null = null;
      // Keystone judges revocations to the second: a token issued in the second of a fresh
      // project, user or role change may be refused once. A token from the next second is not.
      for (let attempt = 0; attempt < 5 && (created === null || created.status === 401); attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 1100));
        headers = { ...headers, "x-auth-token": await tenant.token() };
        created = await fetch(`${url}/v2/images`, {
          method: "POST",
          headers,
          body: JSON.stringify({
            name: image.name,
            visibility: image.visibility,
            disk_format: image.diskFormat ?? "raw",
            container_format: "bare",
          }),
        });
      }
      if (!created) throw new Error("unreachable");
      if (created.status !== 201)
        throw new Error(`glance create image: ${created.status} ${await created.text()}\n${output().slice(-3000)}`);
      const { id } = (await created.json()) as { id: string };
      const uploaded = await fetch(`${url}/v2/images/${id}/file`, {
        method: "PUT",
        headers: { ...headers, "content-type": "application/octet-stream" },
        body: new Uint8Array(image.data),
      });
      if (uploaded.status !== 204) throw new Error(`glance upload: ${uploaded.status} ${await uploaded.text()}`);
      return id;
    },
    stop: service.stop,
  };
}

/** A token scoped to a project, for a tenant's user. */
async function projectToken(keystoneUrl: string, name: string, password: string, projectId: string): Promise<string> {
  const response = await fetch(`${keystoneUrl}/auth/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      auth: {
        identity: { methods: ["password"], password: { user: { name, domain: { id: "default" }, password } } },
        scope: { project: { id: projectId } },
      },
    }),
  });
  if (response.status !== 201) throw new Error(`keystone token for ${name}: ${response.status} ${await response.text()}`);
  return response.headers.get("x-subject-token")!;
}

function keystoneAdmin(keystone: RunningKeystone) {
  const call = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(keystone.url + route, {
      method,
      headers: { "x-auth-token": await keystone.adminToken(), "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`keystone ${method} ${route}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  return {
    /** The catalog entry Precache looks up: type image, every interface, RegionOne. */
    async registerImageService(url: string) {
      const { service } = await call("POST", "/services", { service: { type: "image", name: "glance" } });
      for (const iface of ["public", "internal", "admin"]) {
        await call("POST", "/endpoints", { endpoint: { service_id: service.id, interface: iface, url, region_id: "RegionOne" } });
      }
    },
  };
}
