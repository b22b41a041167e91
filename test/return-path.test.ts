// Sign-in returns to the page that sent the operator there, and only to a page of this site.
import { describe, expect, it } from "vitest";
import { loginHref, safeReturnPath } from "../lib/return-path.ts";
import { plural } from "../lib/plural.ts";

describe("return path after sign-in", () => {
  it("keeps a deep link with its query", () => {
    expect(loginHref("/hypervisors", "?state=failed&q=node-1")).toBe("/login?next=%2Fhypervisors%3Fstate%3Dfailed%26q%3Dnode-1");
    expect(safeReturnPath("/hypervisors?state=failed&q=node-1")).toBe("/hypervisors?state=failed&q=node-1");
    expect(loginHref("/login", "")).toBe("/login");
  });

  it.each([
    "https://evil.example/",
    "//evil.example/x",
    "/\\evil.example",
    "javascript:alert(1)",
    "/ok\nx",
    "/login?next=/x",
    "/api/session",
    "",
    null,
  ])("refuses %j and goes to /images", (next) => {
    expect(safeReturnPath(next)).toBe("/images");
  });
});

describe("plural", () => {
  it("says 1 hypervisor and 2 hypervisors", () => {
    expect(plural(1, "hypervisor")).toBe("1 hypervisor");
    expect(plural(0, "hypervisor")).toBe("0 hypervisors");
    expect(plural(12000, "image")).toBe("12,000 images");
    expect(plural(2, "proxy", "proxies")).toBe("2 proxies");
  });
});
