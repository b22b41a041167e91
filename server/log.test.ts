import { describe, expect, it } from "vitest";
import { isPretty } from "./log.ts";
import { signInBanner } from "./secrets.ts";

describe("terminal output", () => {
  it("frames the generated password on its own line, highlighted only at a terminal", () => {
    const plain = signInBanner("s3cret-pass", "/data/secrets.json", false);
    const lines = plain.trim().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^\| Dashboard sign-in: {2}user admin {3}password s3cret-pass +\|$/);
    expect(lines[2]).toContain("/data/secrets.json");
    expect(new Set(lines.map((line) => line.length)).size).toBe(1);
    expect(plain).not.toContain("\x1b[");
    expect(signInBanner("s3cret-pass", "/d", true)).toContain("\x1b[1;33m");
  });

  it("writes JSON unless asked for pretty lines or attached to a terminal", () => {
    expect(isPretty("json")).toBe(false);
    expect(isPretty("pretty")).toBe(true);
    expect(isPretty("auto")).toBe(Boolean(process.stdout.isTTY));
  });
});
