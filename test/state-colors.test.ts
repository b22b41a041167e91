// Every state's badge text meets WCAG AA (4.5:1) on its fill, computed from the CSS the browser
// gets, and the canvas table (components/state-colors.ts) paints the same colours.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { STATE_NAMES, stateColors } from "../components/state-colors.ts";
import { contrast } from "./support/contrast.ts";

const css = fs.readFileSync(path.join(import.meta.dirname, "../app/globals.css"), "utf8");

/** The first declaration of a custom property (the dark :root block comes first). */
function cssVariable(name: string, source = css): string {
  const match = new RegExp(`--${name}:\\s*(#[0-9a-fA-F]{6})`).exec(source);
  if (!match) throw new Error(`--${name} is not declared in globals.css`);
  return match[1].toLowerCase();
}

describe("state colours", () => {
  it.each(STATE_NAMES)("the %s badge's text meets WCAG AA on its fill", (state) => {
    expect(contrast(cssVariable(state), cssVariable(`${state}-text`))).toBeGreaterThanOrEqual(4.5);
  });

  it.each(STATE_NAMES)("the canvas paints %s in the CSS colour", (state) => {
    expect(stateColors[state]).toEqual({ fill: cssVariable(state), text: cssVariable(`${state}-text`) });
  });

  it("badges never take the link colour: each state class sets its own text colour", () => {
    for (const state of ["cached", "downloading", "pending", "failed", "stale"]) {
      const rule = new RegExp(`\\.badge\\.${state}[^{]*\\{[^}]*color: var\\(--${state}-text\\)`);
      expect(css).toMatch(rule);
    }
    expect(css).toMatch(/\.badge \{[^}]*color: var\(--absent-text\)/);
  });

  it.each(["dark", "light"] as const)("text, muted text, errors and buttons meet AA in the %s scheme", (scheme) => {
    const block = scheme === "dark" ? css : css.slice(css.indexOf("prefers-color-scheme: light"));
    const v = (name: string) => cssVariable(name, block);
    for (const surface of [v("bg"), v("panel")]) {
      expect(contrast(surface, v("text"))).toBeGreaterThanOrEqual(4.5);
      expect(contrast(surface, v("muted"))).toBeGreaterThanOrEqual(4.5);
      expect(contrast(surface, v("error-text"))).toBeGreaterThanOrEqual(4.5);
      expect(contrast(surface, v("accent"))).toBeGreaterThanOrEqual(4.5);
    }
    expect(contrast(v("accent"), v("on-accent"))).toBeGreaterThanOrEqual(4.5);
  });

  it("the light palette forced by the theme toggle is the one the system's light preference gets", () => {
    const declarations = (block: string) => [...block.matchAll(/--([a-z-]+):\s*(#[0-9a-fA-F]{6})/g)].map((m) => `${m[1]}=${m[2]}`);
    const preferred = /prefers-color-scheme: light\)\s*\{[^{]*\{([^}]*)\}/.exec(css)?.[1] ?? "";
    const forced = /:root\[data-theme="light"\]\s*\{([^}]*)\}/.exec(css)?.[1] ?? "";
    expect(declarations(preferred).length).toBeGreaterThan(5);
    expect(declarations(forced)).toEqual(declarations(preferred));
  });
});
