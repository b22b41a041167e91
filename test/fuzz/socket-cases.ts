// Agent socket cases: every event an agent may send (and some it may not), with payloads near the
// protocol's schemas, mutated, random, or too large to be parsed.
import crypto from "node:crypto";
import { PROTOCOL_VERSION } from "../../protocol/events.ts";
import { mutate, randomJson, randomString, type Rng } from "./prng.ts";
import { rngUuid, type KnownValues } from "./rest-cases.ts";

export type SocketCase = { event: string; args: unknown[]; expectsAck: boolean };

const sha1 = (text: string) => crypto.createHash("sha1").update(text).digest("hex");

export function socketCase(rng: Rng, known: KnownValues, name: string): SocketCase {
  const rolloutId = known.rolloutIds.length > 0 && rng.chance(0.6) ? rng.pick(known.rolloutIds) : rngUuid(rng);
  const imageId = known.imageIds.length > 0 && rng.chance(0.7) ? rng.pick(known.imageIds) : randomString(rng, 20);
  const roll = rng.next();
  const maybeMutate = (value: unknown) => (rng.chance(0.7) ? mutate(rng, value) : value);
  if (roll < 0.3) {
    return {
      event: "download:progress",
      args: [maybeMutate({ rolloutId, imageId, bytes: rng.int(0, 1e9), totalBytes: rng.chance(0.5) ? null : 1e9 })],
      expectsAck: false,
    };
  }
  if (roll < 0.5) {
    const ok = rng.chance(0.5);
    const result = {
      rolloutId,
      imageId,
      ok,
      bytes: rng.int(0, 1e9),
      seconds: rng.int(0, 100),
      ...(ok ? {} : { error: { code: "FUZZ", message: randomString(rng) } }),
    };
    return { event: "download:finished", args: [maybeMutate(result)], expectsAck: false };
  }
  if (roll < 0.7)
    return {
      event: "inventory:reported",
      args: [maybeMutate({ freeBytes: rng.int(0, 1e12), inventory: inventory(rng, known) })],
      expectsAck: false,
    };
  if (roll < 0.88) {
    const hello = {
      protocol: PROTOCOL_VERSION,
      name,
      version: "fuzz",
      cacheDir: "/var/lib/nova/instances/_base",
      freeBytes: 1e12,
      proxies: [],
      inventory: inventory(rng, known),
      active: [],
    };
    return { event: "agent:hello", args: [maybeMutate(hello)], expectsAck: true };
  }
  if (roll < 0.885)
    return { event: "inventory:reported", args: [{ freeBytes: 1, inventory: "x".repeat(3 * 1024 * 1024) }], expectsAck: false };
  const event = rng.pick([
    "image:precache",
    "settings:changed",
    "state:snapshot",
    "disconnect",
    "connect",
    "__proto__",
    randomString(rng, 20),
  ]);
  return { event, args: Array.from({ length: rng.int(0, 3) }, () => randomJson(rng, 3)), expectsAck: false };
}

function inventory(rng: Rng, known: KnownValues) {
  const count = rng.chance(0.05) ? rng.int(1000, 5000) : rng.int(0, 8);
  return Array.from({ length: count }, () => ({
    fileName:
      known.imageIds.length > 0 && rng.chance(0.3)
        ? sha1(rng.pick(known.imageIds))
        : Array.from({ length: 40 }, () => rng.int(0, 15).toString(16)).join(""),
    bytes: rng.int(0, 1e9),
    mtimeMs: 1.7e12 + rng.int(0, 1e9),
  }));
}
