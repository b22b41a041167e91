import { describe, expect, it } from "vitest";
import { assertPublishAllowed, mustSeal } from "./seal-policy.ts";

const image = (visibility: string | null, owner: string | null = "project-a") => ({ id: "img-1", name: "img", owner, visibility });

describe("which artifacts are sealed and whose images may be published", () => {
  it.each([
    ["private", true],
    ["shared", true],
    ["community", true],
    [null, true], // unknown counts as not public
    ["public", false],
  ])("visibility %s → sealed %s", (visibility, sealed) => {
    expect(mustSeal(image(visibility), false)).toBe(sealed);
    expect(mustSeal(image(visibility), true)).toBe(true); // PRECACHE_ENCRYPT_ALL_ARTIFACTS
  });

  it("lets anything be published without PRECACHE_ALLOWED_PROJECTS", () => {
    expect(() => assertPublishAllowed(image("private"), { PRECACHE_ALLOWED_PROJECTS: undefined })).not.toThrow();
  });

  it("restricts only non-public images to the listed projects", () => {
    const env = { PRECACHE_ALLOWED_PROJECTS: ["project-a"] };
    expect(() => assertPublishAllowed(image("private"), env)).not.toThrow();
    expect(() => assertPublishAllowed(image("public", "project-b"), env)).not.toThrow();
    for (const refused of [image("shared", "project-b"), image("community", null), image(null, "project-b")]) {
      expect(() => assertPublishAllowed(refused, env)).toThrow(expect.objectContaining({ code: "PROJECT_NOT_ALLOWED", status: 403 }));
    }
  });
});
