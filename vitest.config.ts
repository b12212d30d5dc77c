// Three suites: unit (pure, fast), integration (real nats-server from tests/support), e2e (whole
// stack, browser). `npm test` runs all three.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The pinned nats-server, installed on first run (tests/support/global-setup.ts).
    globalSetup: ["tests/support/global-setup.ts"],
    projects: [
      { test: { name: "unit", include: ["tests/unit/**/*.test.ts"], testTimeout: 10_000 } },
      {
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: "forks",
        },
      },
      {
        test: {
          name: "e2e",
          include: ["tests/e2e/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          pool: "forks",
          fileParallelism: false,
        },
      },
    ],
  },
});
