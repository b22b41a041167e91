import path from "node:path";
import { describe, expect, it } from "vitest";
import { AppError } from "./errors.ts";
import { parseEnv } from "./env.ts";

function parseError(source: Record<string, string>): AppError {
  try {
    parseEnv(source);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error(`parseEnv accepted ${JSON.stringify(source)}`);
}

describe("parseEnv", () => {
  it("reports every bad variable at once, by name, value and expected form", () => {
    const error = parseError({ PORT: "http", GLANCE_URL: "glance:9292", LOG_LEVEL: "loud" });
    expect(error.code).toBe("CONFIG_INVALID");
    const lines = error.message.split("\n");
    expect(lines[0]).toBe("invalid environment:");
    expect(lines.find((line) => line.includes("PORT="))).toMatch(/^ {2}PORT="http": .*number/);
    expect(lines.find((line) => line.includes("GLANCE_URL="))).toMatch(
      /^ {2}GLANCE_URL="glance:9292": must be an http\(s\) URL with scheme and host/,
    );
    expect(lines.find((line) => line.includes("LOG_LEVEL="))).toMatch(/^ {2}LOG_LEVEL="loud": /);
    expect(lines).toHaveLength(4);
  });

  it("rejects ports outside 0..65535 and fractional ports", () => {
    for (const port of ["65536", "-1", "80.5", "abc"]) {
      expect(parseError({ PORT: port }).message, port).toContain(`PORT="${port}"`);
    }
    expect(parseEnv({ PORT: "0" }).PORT).toBe(0);
    expect(parseEnv({ PORT: "8080" }).PORT).toBe(8080);
  });

  it("keeps audit events 365 days unless PRECACHE_AUDIT_RETENTION_DAYS says otherwise (whole days, 1..36500)", () => {
    expect(parseEnv({}).PRECACHE_AUDIT_RETENTION_DAYS).toBe(365);
    expect(parseEnv({ PRECACHE_AUDIT_RETENTION_DAYS: "" }).PRECACHE_AUDIT_RETENTION_DAYS).toBe(365);
    expect(parseEnv({ PRECACHE_AUDIT_RETENTION_DAYS: "90" }).PRECACHE_AUDIT_RETENTION_DAYS).toBe(90);
    for (const days of ["0", "-5", "1.5", "forever", "36501"]) {
      expect(parseError({ PRECACHE_AUDIT_RETENTION_DAYS: days }).message, days).toContain(`PRECACHE_AUDIT_RETENTION_DAYS="${days}"`);
    }
  });

  it("treats an empty PORT as unset, not as port 0", () => {
    expect(parseEnv({}).PORT).toBe(3000);
    expect(parseEnv({ PORT: "" }).PORT).toBe(3000);
    expect(parseEnv({ PORT: "  " }).PORT).toBe(3000);
  });

  it("never echoes a password from a bad URL", () => {
    const error = parseError({ DATABASE_URL: "mysql://precache:s3cret-pw@db.example:3306/precache" });
    expect(error.message).toContain('DATABASE_URL="mysql://precache:***@db.example:3306/precache": must start with postgresql://');
    expect(error.message).not.toContain("s3cret-pw");
  });

  it("normalises URLs and derives the directories", () => {
    const env = parseEnv({
      GLANCE_URL: "http://glance:9292/",
      PRECACHE_PUBLIC_URL: "https://precache.example.org:3000//",
      PRECACHE_DATA_DIR: "/srv/precache",
    });
    expect(env.GLANCE_URL).toBe("http://glance:9292");
    expect(env.PRECACHE_PUBLIC_URL).toBe("https://precache.example.org:3000");
    expect(env).toMatchObject({
      hasGlance: true,
      dataDir: "/srv/precache",
      imageDir: "/srv/precache/images",
      artifactDir: "/srv/precache/artifacts",
      isProduction: false,
    });
    expect(parseEnv({ PRECACHE_ARTIFACT_DIR: "rel/artifacts" }).artifactDir).toBe(path.resolve("rel/artifacts"));
    expect(parseEnv({}).hasGlance).toBe(false);
    expect(parseEnv({ OS_CLOUD: "cern" }).hasGlance).toBe(true);
    expect(parseEnv({ DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/precache" }).DATABASE_URL).toBe(
      "postgresql://postgres@127.0.0.1:5432/precache",
    );
  });

  it("reads flags strictly", () => {
    expect(parseEnv({ PRECACHE_INSECURE: "1" }).PRECACHE_INSECURE).toBe(true);
    expect(parseEnv({ PRECACHE_INSECURE: "false" }).PRECACHE_INSECURE).toBe(false);
    expect(parseEnv({ PRECACHE_INSECURE: "" }).PRECACHE_INSECURE).toBeUndefined();
    expect(parseError({ PRECACHE_INSECURE: "yes" }).message).toContain('PRECACHE_INSECURE="yes"');
    expect(parseEnv({ NODE_ENV: "production" }).isProduction).toBe(true);
  });

  it("configures Keystone sign-in the OpenStack way, and names bad operator-access settings", () => {
    expect(parseEnv({}).keystoneSignIn).toBeNull();
    expect(parseEnv({ OS_AUTH_URL: "http://keystone:5000/v3", PRECACHE_KEYSTONE_PROJECT: "ops" }).keystoneSignIn).toEqual({
      url: "http://keystone:5000/v3",
      project: "ops",
      projectDomain: "Default",
      userDomain: "Default",
      roles: { admin: "admin", member: "operator", reader: "viewer" },
    });
    const custom = parseEnv({
      PRECACHE_KEYSTONE_URL: "https://id.example.org",
      PRECACHE_KEYSTONE_PROJECT: "ops",
      PRECACHE_KEYSTONE_ROLES: "cloud-admin:admin, precache-viewer:viewer",
    });
    expect(custom.keystoneSignIn).toMatchObject({
      url: "https://id.example.org",
      roles: { "cloud-admin": "admin", "precache-viewer": "viewer" },
    });
    expect(parseError({ PRECACHE_KEYSTONE_PROJECT: "ops" }).message).toMatch(
      /PRECACHE_KEYSTONE_PROJECT is set but neither PRECACHE_KEYSTONE_URL nor OS_AUTH_URL/,
    );
    const error = parseError({
      PRECACHE_KEYSTONE_ROLES: "admin=admin",
      PRECACHE_DASHBOARD_URL: "precache",
      PRECACHE_SIGN_IN_WINDOW_SECONDS: "0",
    });
    expect(error.message).toMatch(/PRECACHE_KEYSTONE_ROLES="admin=admin": must be keystone-role:precache-role pairs/);
    expect(error.message).toMatch(/PRECACHE_DASHBOARD_URL="precache"/);
    expect(error.message).toMatch(/PRECACHE_SIGN_IN_WINDOW_SECONDS="0"/);
  });
});
