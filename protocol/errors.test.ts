// The error-code table: statuses the REST API answers with, and exactly the codes a failed
// download is retried for (the set the server's target retry used before the table existed).
import { describe, expect, it } from "vitest";
import { AppError, type ErrorCode } from "../server/errors.ts";
import { AgentRefusal } from "./agents.ts";
import { ERROR_CODES, errorCodeSchema, RETRYABLE_CODES, statusOf } from "./errors.ts";
import { AgentErrorCode } from "./states.ts";

describe("error codes", () => {
  it.each([
    ["VALIDATION_FAILED", 422],
    ["NOT_FOUND", 404],
    ["IMAGE_NOT_ACTIVE", 409],
    ["DATABASE_UNAVAILABLE", 503],
    ["DISK_FULL", 507],
    ["INTERNAL", 500],
  ] as const)("%s answers %i", (code, status) => {
    expect(statusOf(code)).toBe(status);
    expect(new AppError(code, "m").status).toBe(status);
  });

  it("retries exactly network, proxy and data trouble", () => {
    expect([...RETRYABLE_CODES].sort()).toEqual(
      [
        "BUSY",
        "DECOMPRESS_FAILED",
        "DECRYPT_FAILED",
        "FETCH_FAILED",
        "HASH_MISMATCH",
        "HTTP_ERROR",
        "NOT_READY",
        "SIZE_MISMATCH",
        "TIMEOUT",
        "WRITE_FAILED",
      ].sort(),
    );
    for (const final of ["DISK_FULL", "IN_USE", "UNSAFE_IMAGE", "OFFLINE", "FAILED"] as const)
      expect(ERROR_CODES[final].retryable).toBe(false);
  });

  it("holds every code an AppError, an agent result or a refusal can carry", () => {
    const appErrorCodes: ErrorCode[] = Object.keys(ERROR_CODES) as ErrorCode[];
    for (const code of [...appErrorCodes, ...Object.values(AgentErrorCode), ...Object.values(AgentRefusal)]) {
      expect(errorCodeSchema.safeParse(code).success, code).toBe(true);
    }
    expect(errorCodeSchema.safeParse("ANYTHING_ELSE").success).toBe(false);
  });
});
