import { describe, expect, it } from "vitest";
import { hashPassword, verifyDummyPassword, verifyPassword } from "./password-hash.ts";

const FAST = { N: 2 ** 10, r: 8, p: 1 };

describe("password hashing", () => {
  it("stores salted scrypt with its parameters, and verifies only the right password", async () => {
    const stored = await hashPassword("correct horse", FAST);
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await hashPassword("correct horse", FAST)).not.toBe(stored); // salted
    expect(await verifyPassword("correct horse", stored)).toBe(true);
    expect(await verifyPassword("correct horse ", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("uses strong parameters by default", async () => {
    const stored = await hashPassword("pw");
    expect(stored.split("$").slice(1, 4).map(Number)).toEqual([2 ** 15, 8, 3]);
    expect(await verifyPassword("pw", stored)).toBe(true);
  });

  it("refuses malformed or absurd stored strings instead of throwing or burning memory", async () => {
    const good = await hashPassword("pw", FAST);
    const [, , , , salt, hash] = good.split("$");
    for (const stored of [
      "",
      "plain",
      `bcrypt$1024$8$1$${salt}$${hash}`,
      `scrypt$1000$8$1$${salt}$${hash}`,
      `scrypt$${2 ** 30}$8$1$${salt}$${hash}`,
      `scrypt$1024$8$1$${salt}$`,
      `scrypt$1024$8$1$$${hash}`,
      `scrypt$1024$x$1$${salt}$${hash}`,
    ]) {
      expect(await verifyPassword("pw", stored), stored).toBe(false);
    }
  });

  it("answers false for unknown users after a comparable amount of work", async () => {
    expect(await verifyDummyPassword("anything")).toBe(false);
  });
});
