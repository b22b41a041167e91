// A small seeded PRNG (mulberry32) and the draws the fuzzer needs. Case i of seed s is drawn from
// its own generator, so any single case reproduces without replaying the ones before it.

export type Rng = {
  next(): number;
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
};

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)],
  };
}

/** The generator of case `index` under `seed`. */
export function caseRng(seed: number, index: number): Rng {
  return createRng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));
}

const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff",
  "x\ud83d",
  "\u202e",
  "\ufeff",
  "..",
  "../..",
  "%",
  "%zz",
  "%00",
  "%E0%A4",
  "%ED%A0%80",
  "'",
  '"',
  "\\",
  "\\'",
  '\'; DROP TABLE "Image"; --',
  "$$",
  "${x}",
  "\n",
  "\r\n",
  "\t",
  "<script>",
  "null",
  "true",
  "0",
  "-1",
  "1e309",
  "NaN",
  "__proto__",
  "constructor",
  "prototype",
  "😀",
  "ß",
  "İ",
  "\u0085",
  "\u2028",
  "http://[",
  "//",
  "//[",
  "a".repeat(254),
  "a".repeat(4096),
];
const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:/%?#&=+ @!~*'()[]{}\\\"";

/** A string from a mix of plausible characters, control characters, surrogates and known troublemakers. */
export function randomString(rng: Rng, maxLength = 40): string {
  if (rng.chance(0.25)) return rng.pick(NASTY_STRINGS);
  const length = rng.int(0, maxLength);
  let text = "";
  for (let i = 0; i < length; i += 1) {
    const roll = rng.next();
    if (roll < 0.8) text += ALPHABET[rng.int(0, ALPHABET.length - 1)];
    else if (roll < 0.87) text += String.fromCharCode(rng.int(0, 31));
    else if (roll < 0.92) text += String.fromCharCode(rng.int(0xd800, 0xdfff));
    else text += String.fromCodePoint(rng.int(0x80, 0x10ffff));
  }
  return text;
}

/** Any JSON value, nested up to `depth`. */
export function randomJson(rng: Rng, depth = 3): unknown {
  const roll = rng.int(0, depth > 0 ? 9 : 6);
  switch (roll) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1, 1.5, 2 ** 31, 2 ** 53, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER + 2, 1e-9]);
    case 3:
      return rng.int(-10, 100_000);
    case 4:
    case 5:
    case 6:
      return randomString(rng);
    case 7:
    case 8:
      return Array.from({ length: rng.int(0, 5) }, () => randomJson(rng, depth - 1));
    default:
      return Object.fromEntries(Array.from({ length: rng.int(0, 5) }, () => [randomString(rng, 12), randomJson(rng, depth - 1)]));
  }
}

/** `value` changed a little: a field dropped, retyped, replaced or added (or left alone). */
export function mutate(rng: Rng, value: unknown, depth = 0): unknown {
  if (depth > 4 || rng.chance(0.15)) return rng.chance(0.5) ? value : randomJson(rng, 2);
  if (Array.isArray(value)) {
    const copy = value.map((item) => (rng.chance(0.3) ? mutate(rng, item, depth + 1) : item));
    if (rng.chance(0.2)) copy.push(randomJson(rng, 1));
    return copy;
  }
  if (value !== null && typeof value === "object") {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const key of Object.keys(copy)) {
      const roll = rng.next();
      if (roll < 0.1) delete copy[key];
      else if (roll < 0.45) copy[key] = mutate(rng, copy[key], depth + 1);
    }
    if (rng.chance(0.1)) copy[randomString(rng, 10)] = randomJson(rng, 1);
    return copy;
  }
  if (typeof value === "string") return rng.chance(0.5) ? randomString(rng) : value + randomString(rng, 4);
  if (typeof value === "number") return rng.pick([-value, value * 1e6, value + 0.5, Number.MAX_SAFE_INTEGER, -1, 0, 1e308]);
  return randomJson(rng, 1);
}
