import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["agent/**/*.test.ts", "server/**/*.test.ts", "protocol/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["node_modules/**", "tmp/**", "data/**", ".next/**"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
  },
});
