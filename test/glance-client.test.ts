import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../server/env.ts";
import { createGlanceSource } from "../server/glance/create-image-source.ts";
import { GlanceClient } from "../server/glance/glance-client.ts";
import { KeystoneAuth } from "../server/glance/keystone-auth.ts";
import { readOpenStackConfig } from "../server/glance/openstack-config.ts";
import { startFakeGlance, type FakeGlance } from "./fake-glance/fake-glance.ts";
import { glanceHashes } from "./fake-glance/glance-hashes.ts";

const keystoneUser = {
  username: "alice",
  password: "correct horse",
  projectName: "images",
  userDomain: "Default",
  projectDomain: "Default",
  appCredId: "4e1f0c0d2b9a4f6e8d7c6b5a49382716",
  appCredSecret: "app-secret",
  region: "RegionTwo",
};

function passwordEnv(fake: FakeGlance, overrides: Record<string, string> = {}) {
  return parseEnv({
    OS_AUTH_URL: fake.keystoneUrl,
    OS_USERNAME: keystoneUser.username,
    OS_PASSWORD: keystoneUser.password,
    OS_PROJECT_NAME: keystoneUser.projectName,
    OS_USER_DOMAIN_NAME: keystoneUser.userDomain,
    OS_PROJECT_DOMAIN_NAME: keystoneUser.projectDomain,
    OS_REGION_NAME: keystoneUser.region,
    ...overrides,
  });
}

const tokenRequests = (fake: FakeGlance) => fake.requests.filter((request) => request.path === "/v3/auth/tokens");
const glanceRequests = (fake: FakeGlance) => fake.requests.filter((request) => request.path.includes("/v2/"));

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("GlanceClient without authentication", () => {
  const payload = randomBytes(3 * 1024 * 1024 + 17);
  let fake: FakeGlance;

  beforeAll(async () => {
    fake = await startFakeGlance({
      pageSize: 3,
      images: [
        ...Array.from({ length: 6 }, (_, index) => ({ name: `ubuntu-${index}`, data: Buffer.from(`image ${index}`) })),
        { id: "b6a3c8f0-0000-4000-8000-000000000001", name: "big", data: payload, disk_format: "raw" },
        { id: "b6a3c8f0-0000-4000-8000-000000000002", name: "empty", status: "active" },
        { id: "b6a3c8f0-0000-4000-8000-000000000003", name: "uploading", status: "queued" },
      ],
    });
  });
  afterAll(() => fake.close());

  it("lists every image across pages, newest first, following next links", async () => {
    const client = new GlanceClient({ url: fake.url });
    const images = await client.listImages();

    expect(images.map((image) => image.name)).toEqual([
      "uploading",
      "empty",
      "big",
      "ubuntu-5",
      "ubuntu-4",
      "ubuntu-3",
      "ubuntu-2",
      "ubuntu-1",
      "ubuntu-0",
    ]);
    const pages = glanceRequests(fake).map((request) => request.path);
    // 9 images in pages of 3: Glance links a next page after every full one, so the fourth comes back empty.
    expect(pages).toHaveLength(4);
    expect(pages[0]).toBe("/v2/images?limit=100&sort_key=created_at&sort_dir=desc");
    expect(pages[1]).toMatch(/^\/v2\/images\?marker=[0-9a-f-]{36}&limit=100&sort_key=created_at&sort_dir=desc$/);
    expect(fake.requests.every((request) => request.headers["x-auth-token"] === undefined)).toBe(true);

    const big = images.find((image) => image.name === "big");
    expect(big).toEqual({
      id: "b6a3c8f0-0000-4000-8000-000000000001",
      name: "big",
      status: "active",
      size: payload.length,
      virtualSize: payload.length,
      diskFormat: "raw",
      containerFormat: "bare",
      checksum: createHash("md5").update(payload).digest("hex"),
      osHashAlgo: "sha512",
      osHashValue: createHash("sha512").update(payload).digest("hex"),
      visibility: "shared",
      owner: "5f2d1a1c3b7e4c0d9a8b7c6d5e4f3a2b",
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(images.find((image) => image.name === "uploading")).toMatchObject({ size: null, checksum: null, diskFormat: null });
  });

  it("keeps an endpoint's path prefix when following next links that omit it", async () => {
    const before = fake.requests.length;
    const images = await new GlanceClient({ url: `${fake.internalUrl}/v2/` }).listImages();
    expect(images).toHaveLength(9);
    const paths = fake.requests.slice(before).map((request) => request.path);
    expect(paths).toHaveLength(4);
    expect(paths.every((requestPath) => requestPath.startsWith("/image/v2/images?"))).toBe(true);
  });

  it("resolves next links that already carry the endpoint prefix or leave out /v2", async () => {
    // Proxies and older deployments rewrite `next`; each variant must land on the same endpoint.
    const pages: Record<string, { images: { id: string; status: string }[]; next?: string }> = {
      "/glance/v2/images": { images: [{ id: "a", status: "active" }], next: "/glance/v2/images?marker=a" },
      "/glance/v2/images?marker=a": { images: [{ id: "b", status: "active" }], next: "images?marker=b" },
      "/glance/v2/images?marker=b": { images: [{ id: "c", status: "active" }] },
    };
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://glance.invalid");
      for (const name of ["limit", "sort_key", "sort_dir"]) url.searchParams.delete(name);
      const key = `${url.pathname}${url.search}`;
      seen.push(key);
      res.writeHead(pages[key] ? 200 : 404, { "content-type": "application/json" });
      res.end(JSON.stringify(pages[key] ?? {}));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      const images = await new GlanceClient({ url: `http://127.0.0.1:${port}/glance` }).listImages();
      expect(images.map((image) => image.id)).toEqual(["a", "b", "c"]);
      expect(seen).toEqual(Object.keys(pages));
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("streams exactly the image bytes with the size from Content-Length", async () => {
    const client = new GlanceClient({ url: fake.url });
    const { stream, size } = await client.openImageData("b6a3c8f0-0000-4000-8000-000000000001");
    expect(stream).toBeInstanceOf(Readable);
    expect(size).toBe(payload.length);
    const received = await readAll(stream);
    expect(received.equals(payload)).toBe(true);
    expect(createHash("sha512").update(received).digest("hex")).toBe(glanceHashes(payload).os_hash_value);
    const fileRequest = fake.requests.at(-1);
    expect(fileRequest?.path).toBe("/v2/images/b6a3c8f0-0000-4000-8000-000000000001/file");
  });

  it("reports an active image without data as IMAGE_HAS_NO_DATA (Glance answers 204)", async () => {
    const client = new GlanceClient({ url: fake.url });
    await expect(client.openImageData("b6a3c8f0-0000-4000-8000-000000000002")).rejects.toMatchObject({
      code: "IMAGE_HAS_NO_DATA",
    });
    expect(fake.requests.at(-1)?.path).toBe("/v2/images/b6a3c8f0-0000-4000-8000-000000000002/file");
  });

  it("refuses non-active images with IMAGE_NOT_ACTIVE naming the status, without fetching data", async () => {
    const client = new GlanceClient({ url: fake.url });
    const before = fake.requests.length;
    await expect(client.openImageData("b6a3c8f0-0000-4000-8000-000000000003")).rejects.toMatchObject({
      code: "IMAGE_NOT_ACTIVE",
      message: expect.stringContaining("queued"),
    });
    const deactivated = fake.setImage({ name: "old", data: Buffer.from("old"), status: "deactivated" });
    await expect(client.openImageData(deactivated.id)).rejects.toMatchObject({
      code: "IMAGE_NOT_ACTIVE",
      message: expect.stringContaining("deactivated"),
    });
    fake.removeImage(deactivated.id);
    expect(fake.requests.slice(before).some((request) => request.path.endsWith("/file"))).toBe(false);
  });

  it("maps a missing image to IMAGE_NOT_FOUND", async () => {
    const client = new GlanceClient({ url: fake.url });
    await expect(client.getImage("00000000-0000-4000-8000-00000000dead")).rejects.toMatchObject({
      code: "IMAGE_NOT_FOUND",
    });
  });

  it("reports a closed port as GLANCE_UNREACHABLE naming the URL", async () => {
    const port = await closedPort();
    const client = new GlanceClient({ url: `http://127.0.0.1:${port}` });
    await expect(client.listImages()).rejects.toMatchObject({
      code: "GLANCE_UNREACHABLE",
      message: expect.stringContaining(`http://127.0.0.1:${port}/v2/images`),
    });
  });
});

describe("GlanceClient through Keystone", () => {
  let fake: FakeGlance;
  let tempDir: string;

  beforeAll(async () => {
    fake = await startFakeGlance({
      pageSize: 2,
      keystone: { ...keystoneUser, tokenTtlSeconds: 3600 },
      images: Array.from({ length: 5 }, (_, index) => ({ name: `debian-${index}`, data: Buffer.from(`debian ${index}`) })),
    });
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "glance-client-test-"));
  });
  afterAll(async () => {
    await fake.close();
    fs.rmSync(tempDir, { recursive: true, force: true });
  });

  it("authenticates with a password and uses the catalog's internal endpoint in the configured region", async () => {
    const client = createGlanceSource(passwordEnv(fake, { OS_INTERFACE: "internal" }));
    expect(client?.kind).toBe("glance");
    const before = fake.requests.length;

    const images = await client!.listImages();

    expect(images.map((image) => image.name)).toEqual(["debian-4", "debian-3", "debian-2", "debian-1", "debian-0"]);
    const sent = fake.requests.slice(before);
    expect(sent[0]).toMatchObject({ method: "POST", path: "/v3/auth/tokens" });
    const listing = sent.slice(1);
    expect(listing).toHaveLength(3);
    expect(listing.every((request) => request.path.startsWith("/image/v2/images?"))).toBe(true);
    expect(new Set(listing.map((request) => request.headers["x-auth-token"])).size).toBe(1);
    expect(listing[0]?.headers["x-auth-token"]).toMatch(/^gAAAAA/);
  });

  it("reuses the token, re-authenticates shortly before expiry and once after a 401", async () => {
    let now = Date.now();
    const auth = new KeystoneAuth(readOpenStackConfig(passwordEnv(fake)), { now: () => now });
    const client = new GlanceClient({ auth });
    const firstAuth = tokenRequests(fake).length;
    const [image] = await client.listImages();

    await client.getImage(image!.id);
    await client.getImage(image!.id);
    expect(tokenRequests(fake).length - firstAuth).toBe(1);
    expect(glanceRequests(fake).at(-1)?.path).toBe(`/v2/images/${image!.id}`);

    now += (3600 - 30) * 1000;
    await client.getImage(image!.id);
    expect(tokenRequests(fake).length - firstAuth).toBe(2);

    fake.revokeTokens();
    const before = fake.requests.length;
    const data = await client.openImageData(image!.id);
    expect((await readAll(data.stream)).toString()).toBe("debian 4");
    const sent = fake.requests.slice(before).map((request) => request.path);
    expect(sent).toEqual([`/v2/images/${image!.id}`, "/v3/auth/tokens", `/v2/images/${image!.id}`, `/v2/images/${image!.id}/file`]);
    expect(tokenRequests(fake).length - firstAuth).toBe(3);
  });

  it("authenticates with an application credential against an auth URL without /v3", async () => {
    const vars = {
      OS_AUTH_URL: fake.url,
      OS_AUTH_TYPE: "v3applicationcredential",
      OS_APPLICATION_CREDENTIAL_ID: keystoneUser.appCredId,
      OS_APPLICATION_CREDENTIAL_SECRET: keystoneUser.appCredSecret,
      OS_REGION_NAME: keystoneUser.region,
    };
    const env = parseEnv(vars);
    const before = fake.requests.length;
    const images = await createGlanceSource(env)!.listImages();
    expect(images).toHaveLength(5);
    const sent = fake.requests.slice(before);
    expect(sent[0]?.path).toBe("/v3/auth/tokens");
    expect(sent.slice(1).every((request) => request.path.startsWith("/v2/images?"))).toBe(true);

    const wrongSecret = parseEnv({ ...vars, OS_APPLICATION_CREDENTIAL_SECRET: "nope" });
    await expect(createGlanceSource(wrongSecret)!.listImages()).rejects.toMatchObject({
      code: "GLANCE_AUTH_FAILED",
      message: expect.stringContaining(`application credential ${keystoneUser.appCredId}`),
    });
  });

  it("reads OS_CLOUD from clouds.yaml, with OS_* variables overriding it", async () => {
    const file = path.join(tempDir, "clouds.yaml");
    fs.writeFileSync(
      file,
      [
        "clouds:",
        "  other:",
        "    auth: { auth_url: 'http://127.0.0.1:1/v3' }",
        "  lab:",
        "    auth:",
        `      auth_url: ${fake.keystoneUrl}`,
        `      username: ${keystoneUser.username}`,
        "      password: stale-password",
        `      project_name: ${keystoneUser.projectName}`,
        `      user_domain_name: ${keystoneUser.userDomain}`,
        `      project_domain_name: ${keystoneUser.projectDomain}`,
        `    region_name: ${keystoneUser.region}`,
        "    interface: internal",
        "    identity_api_version: 3",
      ].join("\n"),
    );
    const env = parseEnv({ OS_CLOUD: "lab", OS_CLIENT_CONFIG_FILE: file, OS_PASSWORD: keystoneUser.password });
    const before = fake.requests.length;

    const images = await createGlanceSource(env)!.listImages();

    expect(images).toHaveLength(5);
    expect(fake.requests.slice(before + 1).every((request) => request.path.startsWith("/image/v2/images"))).toBe(true);
    expect(readOpenStackConfig(env)).toMatchObject({ interface: "internal", regionName: keystoneUser.region });

    const withoutOverride = parseEnv({ OS_CLOUD: "lab", OS_CLIENT_CONFIG_FILE: file });
    await expect(createGlanceSource(withoutOverride)!.listImages()).rejects.toMatchObject({ code: "GLANCE_AUTH_FAILED" });
    expect(() => createGlanceSource(parseEnv({ OS_CLOUD: "nowhere", OS_CLIENT_CONFIG_FILE: file }))).toThrow(
      /OS_CLOUD="nowhere".*clouds there: other, lab/,
    );
  });

  it("reports a wrong password as GLANCE_AUTH_FAILED naming the user", async () => {
    const client = createGlanceSource(passwordEnv(fake, { OS_PASSWORD: "wrong" }))!;
    await expect(client.listImages()).rejects.toMatchObject({
      code: "GLANCE_AUTH_FAILED",
      message: expect.stringMatching(/^keystone rejected the credentials for user alice \(401\)/),
    });
  });

  it("names the interface and region when the catalog has no matching image endpoint", async () => {
    const client = createGlanceSource(passwordEnv(fake, { OS_REGION_NAME: "RegionNowhere" }))!;
    await expect(client.listImages()).rejects.toMatchObject({
      code: "GLANCE_NOT_IN_CATALOG",
      message: expect.stringMatching(/interface "public" in region "RegionNowhere"/),
    });
  });

  it("reports an unreachable Keystone as GLANCE_UNREACHABLE naming its URL", async () => {
    const port = await closedPort();
    const client = createGlanceSource(passwordEnv(fake, { OS_AUTH_URL: `http://127.0.0.1:${port}/v3` }))!;
    await expect(client.listImages()).rejects.toMatchObject({
      code: "GLANCE_UNREACHABLE",
      message: expect.stringContaining(`http://127.0.0.1:${port}/v3/auth/tokens`),
    });
  });
});

describe("createGlanceSource configuration", () => {
  it("returns null when no Glance or Keystone is configured", () => {
    expect(createGlanceSource(parseEnv({}))).toBeNull();
  });

  it("names OS_PASSWORD when it is missing", () => {
    const env = parseEnv({
      OS_AUTH_URL: "http://127.0.0.1:5000/v3",
      OS_USERNAME: "alice",
      OS_PROJECT_NAME: "images",
      OS_USER_DOMAIN_NAME: "Default",
      OS_PROJECT_DOMAIN_NAME: "Default",
    });
    expect(() => createGlanceSource(env)).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
    expect(() => createGlanceSource(env)).toThrow(/missing OS_PASSWORD/);
    expect(() => createGlanceSource(env)).not.toThrow(/OS_PROJECT|OS_USERNAME|OS_AUTH_URL/);
  });

  it("lists every missing piece at once", () => {
    const env = parseEnv({ OS_AUTH_URL: "http://127.0.0.1:5000", OS_USERNAME: "alice" });
    expect(() => createGlanceSource(env)).toThrow(
      /missing OS_PASSWORD; missing OS_USER_DOMAIN_NAME or OS_USER_DOMAIN_ID.*; missing OS_PROJECT_NAME or OS_PROJECT_ID/,
    );
  });
});
