"use client";
// System / Light / Dark in the navigation: a labelled select, so the current choice is announced.
import { useSyncExternalStore } from "react";
import { chooseTheme, parseThemeChoice, readThemeChoice, subscribeThemeChoice, THEME_CHOICES, type ThemeChoice } from "../lib/theme";

const LABELS: Record<ThemeChoice, string> = { system: "System theme", light: "Light theme", dark: "Dark theme" };

export function ThemeToggle() {
  const choice = useSyncExternalStore(subscribeThemeChoice, readThemeChoice, () => "system" as const);
  return (
    <select
      className="theme-toggle"
      aria-label="Colour theme"
      data-testid="theme-toggle"
      value={choice}
      onChange={(event) => chooseTheme(parseThemeChoice(event.target.value))}
    >
      {THEME_CHOICES.map((name) => (
        <option key={name} value={name}>
          {LABELS[name]}
        </option>
      ))}
    </select>
  );
}
