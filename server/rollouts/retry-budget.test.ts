// The rollout's retry budget reaches the agent in image:precache, and cannot outlast the
// server's own no-progress timeout.
import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { imagePrecache } from "../../protocol/events.ts";
import { createArtifactKeyRing } from "../keys/artifact-key-ring.ts";
import { toKek } from "../keys/kek-material.ts";
import { createRollout } from "./create-rollout.ts";
import { precacheCommand, type RolloutWithImage } from "./dispatch-target.ts";

const rollout = {
  id: "7b0c6c4e-5d0a-4f43-9a3e-0b7e8b1f2a10",
  strategy: "waves",
  jitterMs: 0,
  bandwidthBytesPerSecond: null,
  retryBudgetSeconds: 900,
  image: {
    id: "1d7c0b5e-2f4a-4c1e-8e1a-9a6f3b2c4d5e",
    size: 10n,
    virtualSize: null,
    diskFormat: "raw",
    osHashAlgo: "sha512",
    osHashValue: "ab".repeat(64),
    checksum: null,
    artifact: { sha256: "cd".repeat(32), state: "ready", codec: "gzip", compressedSize: 5n },
  },
} as unknown as RolloutWithImage;

const TEST_SECRETS = {
  agentToken: "a",
  apiToken: "b",
  adminPassword: "c",
  sessionSecret: "d",
  artifactKeys: createArtifactKeyRing(toKek(crypto.randomBytes(32))),
};

describe("retry budget", () => {
  it("is sent to the agent with the precache command", () => {
    const command = precacheCommand({ publicUrl: "http://precache.test:3000", secrets: TEST_SECRETS }, rollout)!;
    expect(command.retryBudgetSeconds).toBe(900);
    expect(imagePrecache.parse(command).retryBudgetSeconds).toBe(900);
  });
  it("defaults to 600 s for an agent command that does not name it", () => {
    const { retryBudgetSeconds: _, ...older } = precacheCommand(
      { publicUrl: "http://precache.test:3000", secrets: TEST_SECRETS },
      rollout,
    )!;
    expect(imagePrecache.parse(older).retryBudgetSeconds).toBe(600);
  });
  it("must stay below the node timeout, or the server gives up on a node still resuming", async () => {
    const noDatabase = {} as Parameters<typeof createRollout>[0];
    await expect(
      createRollout(noDatabase, { imageId: rollout.image.id, retryBudgetSeconds: 1800, nodeTimeoutSeconds: 1800 }),
    ).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    await expect(
      createRollout(noDatabase, { imageId: rollout.image.id, retryBudgetSeconds: 300, nodeTimeoutSeconds: 60 }),
    ).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    // Not named: the default shrinks under a short node timeout instead of refusing (past the check, the missing database throws).
    await expect(createRollout(noDatabase, { imageId: rollout.image.id, nodeTimeoutSeconds: 60 })).rejects.toBeInstanceOf(TypeError);
  });
});
