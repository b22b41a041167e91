import { describe, expect, it } from "vitest";
import { artifactUrlProblem } from "./artifact-url.ts";

const base = "http://precache.example.org:3000/artifacts/";
const good = "http://precache.example.org:3000/artifacts/1b6b0a3c-0b7e-4e38-9c8e-3f4f3c1d2e5a/0123abcd.gz";

describe("artifact URLs only under the announced origin", () => {
  it("accepts an artifact under the base", () => {
    expect(artifactUrlProblem(good, base)).toBeNull();
    expect(artifactUrlProblem("http://PRECACHE.example.org:3000/artifacts/x/y.gz", base)).toBeNull();
    expect(artifactUrlProblem("https://p.example.org/pre/artifacts/x/y.gz", "https://p.example.org:443/pre/artifacts/")).toBeNull();
  });

  it.each([
    ["another host", "http://169.254.169.254/latest/meta-data/"],
    ["another port", "http://precache.example.org:3001/artifacts/x/y.gz"],
    ["another scheme", "https://precache.example.org:3000/artifacts/x/y.gz"],
    ["userinfo", "http://user:pw@precache.example.org:3000/artifacts/x/y.gz"],
    ["a path outside", "http://precache.example.org:3000/api/images"],
    ["the base itself", base],
    ["a sibling prefix", "http://precache.example.org:3000/artifactsX/y.gz"],
    ["dot segments", "http://precache.example.org:3000/artifacts/../api/images"],
    ["encoded dots", "http://precache.example.org:3000/artifacts/%2e%2e/api/images"],
    ["encoded slashes", "http://precache.example.org:3000/artifacts/x%2F..%2Fy.gz"],
    ["backslashes", "http://precache.example.org:3000/artifacts\\..\\api"],
    ["a query", `${good}?x=1`],
    ["a fragment", `${good}#x`],
    ["a file URL", "file:///etc/nova/nova.conf"],
    ["garbage", "not a url"],
  ])("refuses %s", (_label, url) => {
    expect(artifactUrlProblem(url, base)).not.toBeNull();
  });

  it("refuses everything while no base has been announced", () => {
    expect(artifactUrlProblem(good, "")).toMatch(/no artifact base URL/);
  });
});
