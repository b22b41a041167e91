import os from "node:os";
import { describe, expect, it } from "vitest";
import { DEFAULT_CACHE_DIR, agentConfigFrom, checkUrl, parseProxyList } from "./agent-config.ts";

const env = (vars: Record<string, string> = {}) => vars as NodeJS.ProcessEnv;

describe("parseProxyList", () => {
  it("splits, trims, defaults the scheme to http and drops trailing slashes, in order", () => {
    expect(parseProxyList(" squid-a:3128, http://squid-b.rack2:3128/ ,,https://squid-c:443 ")).toEqual([
      "http://squid-a:3128",
      "http://squid-b.rack2:3128",
      "https://squid-c:443",
    ]);
    expect(parseProxyList("http://user:pw@squid:3128")).toEqual(["http://user:pw@squid:3128"]);
  });

  it("is empty when unset or blank", () => {
    expect(parseProxyList(undefined)).toEqual([]);
    expect(parseProxyList("")).toEqual([]);
    expect(parseProxyList(" , ")).toEqual([]);
  });

  it("names the bad proxy", () => {
    expect(() => parseProxyList("squid-a:3128,ftp://mirror:21")).toThrow(
      'invalid proxy URL "ftp://mirror:21": must be http(s)://host[:port]',
    );
    expect(() => parseProxyList("http://")).toThrow('invalid proxy URL "http://": must include scheme and host');
    expect(() => parseProxyList("squid a:3128")).toThrow(/^invalid proxy URL ".*squid a:3128": must include scheme and host$/);
  });
});

describe("checkUrl", () => {
  it("explains what a URL needs", () => {
    expect(() => checkUrl("x", "server")).toThrow('invalid server URL "x": must include scheme and host');
    expect(() => checkUrl("", "server")).toThrow('invalid server URL "": must include scheme and host');
    expect(() => checkUrl("precache:3000", "server")).toThrow('invalid server URL "precache:3000": must be http(s)://host[:port]');
    expect(() => checkUrl("file:///etc/passwd", "server")).toThrow(
      'invalid server URL "file:///etc/passwd": must be http(s)://host[:port]',
    );
    expect(checkUrl("https://precache.example.org:3000//", "server")).toBe("https://precache.example.org:3000");
  });
});

describe("agentConfigFrom", () => {
  it("takes flags over environment and fills defaults", () => {
    const config = agentConfigFrom(
      { server: "http://flag-server:3000/", proxy: "squid-1:3128", name: "hv-flag" },
      env({
        PRECACHE_SERVER: "http://env-server:3000",
        PRECACHE_AGENT_TOKEN: "env-token",
        PRECACHE_PROXIES: "squid-env:3128",
        PRECACHE_HOSTNAME: "hv-env",
      }),
    );
    expect(config).toMatchObject({
      server: "http://flag-server:3000",
      token: "env-token",
      name: "hv-flag",
      cacheDir: DEFAULT_CACHE_DIR,
      proxies: ["http://squid-1:3128"],
      allowDirect: false,
    });
  });

  it("reads everything from the environment", () => {
    const config = agentConfigFrom(
      {},
      env({
        PRECACHE_SERVER: "http://precache:3000",
        PRECACHE_AGENT_TOKEN: "t",
        PRECACHE_PROXIES: "squid-1:3128,squid-2:3128",
        PRECACHE_CACHE_DIR: "/srv/nova/_base",
        PRECACHE_ALLOW_DIRECT: "1",
        PRECACHE_GROUP: "rack-7",
      }),
    );
    expect(config).toMatchObject({
      server: "http://precache:3000",
      name: os.hostname(),
      cacheDir: "/srv/nova/_base",
      proxies: ["http://squid-1:3128", "http://squid-2:3128"],
      allowDirect: true,
      group: "rack-7",
    });
    expect(
      agentConfigFrom({ "allow-direct": true }, env({ PRECACHE_SERVER: "http://p:3000", PRECACHE_AGENT_TOKEN: "t" })).allowDirect,
    ).toBe(true);
  });

  it("reports every missing setting at once, and a bad server URL by value", () => {
    expect(() => agentConfigFrom({}, env())).toThrow(
      /^--server \/ PRECACHE_SERVER is required \(e.g. http:\/\/precache:3000\)\n--token \/ PRECACHE_AGENT_TOKEN is required \(to enrol: no credential stored in .*\)$/,
    );
    expect(() => agentConfigFrom({ server: "x", token: "t" }, env())).toThrow('invalid server URL "x": must include scheme and host');
    expect(() => agentConfigFrom({ server: "http://p:3000", token: "t", proxy: "ftp://squid" }, env())).toThrow(
      'invalid proxy URL "ftp://squid"',
    );
  });
});
