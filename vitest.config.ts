import { defineConfig } from "vitest/config";

const BESIDE_THE_CODE = ["agent/**/*.test.ts", "server/**/*.test.ts", "protocol/**/*.test.ts", "shared/**/*.test.ts", "lib/**/*.test.ts"];
// Tests beside the code that open a database (PGlite, some Postgres too): seconds each to migrate,
// so they run with the integration tests, not in the fast `unit` project. List new ones here.
const OPEN_A_DATABASE = [
  "server/agents/agent-presence.test.ts",
  "server/agents/refusal-audit.test.ts",
  "server/audit/audit-events.test.ts",
  "server/cluster/leadership.test.ts",
  "server/db/migrate-concurrently.test.ts",
  "server/db/read-cache.test.ts",
  "server/rollouts/dispatched-targets.test.ts",
];

// Projects: `unit` (no database, server, browser or Squid: npm run test:unit) and `integration`
// (test/ and the database tests above: real servers, agents, Squid, Chromium). `vitest run` runs both.
export default defineConfig({
  test: {
    exclude: ["node_modules/**", "tmp/**", "data/**", ".next/**"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
    // expect.poll waits on real servers and agents here, not on microtasks: 30 s like waitFor.
    expect: { poll: { timeout: 30_000, interval: 100 } },
    projects: [
      { extends: true, test: { name: "unit", include: BESIDE_THE_CODE, exclude: OPEN_A_DATABASE } },
      { extends: true, test: { name: "integration", include: ["test/**/*.test.ts", ...OPEN_A_DATABASE] } },
    ],
  },
});
