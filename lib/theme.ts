// The operator's colour theme: follow the system (prefers-color-scheme), or force light or dark.
// The choice lives in localStorage and shows as <html data-theme="light|dark"> (absent for system);
// app/globals.css keys its palettes on both the attribute and the media query.

export const THEME_CHOICES = ["system", "light", "dark"] as const;
export type ThemeChoice = (typeof THEME_CHOICES)[number];
export type Theme = "light" | "dark";

const STORAGE_KEY = "precache-theme";
const LIGHT_QUERY = "(prefers-color-scheme: light)";

/**
 * Inlined in <head> and run before the first paint, so a forced theme never flashes the other one.
 * Kept to ES5 and wrapped in try: storage may be refused (privacy modes).
 */
export const THEME_BOOT_SCRIPT = `try{var t=localStorage.getItem("${STORAGE_KEY}");if(t==="light"||t==="dark")document.documentElement.setAttribute("data-theme",t)}catch(e){}`;

export function parseThemeChoice(value: string | null | undefined): ThemeChoice {
  return value === "light" || value === "dark" ? value : "system";
}

const choiceListeners = new Set<() => void>();

export function readThemeChoice(): ThemeChoice {
  try {
    return parseThemeChoice(localStorage.getItem(STORAGE_KEY));
  } catch {
    return parseThemeChoice(document.documentElement.getAttribute("data-theme"));
  }
}

/** Stores the choice and applies it at once: the attribute switches the CSS palette. */
export function chooseTheme(choice: ThemeChoice): void {
  try {
    if (choice === "system") localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, choice);
  } catch {
    // storage refused: the choice still applies to this page
  }
  applyThemeChoice(choice);
}

function applyThemeChoice(choice: ThemeChoice): void {
  if (choice === "system") document.documentElement.removeAttribute("data-theme");
  else document.documentElement.setAttribute("data-theme", choice);
  for (const listener of choiceListeners) listener();
}

/** For useSyncExternalStore: the choice changes here or in another tab. */
export function subscribeThemeChoice(onChange: () => void): () => void {
  const onStorage = (event: StorageEvent) => {
    if (event.key === STORAGE_KEY) applyThemeChoice(parseThemeChoice(event.newValue));
  };
  choiceListeners.add(onChange);
  window.addEventListener("storage", onStorage);
  return () => {
    choiceListeners.delete(onChange);
    window.removeEventListener("storage", onStorage);
  };
}

/** The theme actually shown: the forced one, else the system's. */
export function readTheme(): Theme {
  const forced = document.documentElement.getAttribute("data-theme");
  if (forced === "light" || forced === "dark") return forced;
  return window.matchMedia(LIGHT_QUERY).matches ? "light" : "dark";
}

/** For useSyncExternalStore: the shown theme changes by a choice or by the system's preference. */
export function subscribeTheme(onChange: () => void): () => void {
  const media = window.matchMedia(LIGHT_QUERY);
  media.addEventListener("change", onChange);
  choiceListeners.add(onChange);
  return () => {
    media.removeEventListener("change", onChange);
    choiceListeners.delete(onChange);
  };
}
