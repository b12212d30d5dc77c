// Four suites: unit (pure, fast), integration (real nats-server from tests/support), cluster
// (three-node clusters: the heaviest, and sensitive to a loaded machine), e2e (whole stack,
// browser). `npm test` runs them all, in four groups one after the other:
//   0. unit, two files at a time (some are CPU-bound: nothing else runs beside them);
//   1. integration, three files at a time: most integration files wait on the network and on
//      timers, not on the CPU, so three at a time take about a third of the time on two cores;
//   2. the cluster files, one at a time, with nothing else running beside them;
//   3. e2e, one file at a time.
// LIAISON_TEST_WORKERS sets how many integration files run at a time.
import { defineConfig } from "vitest/config";

const CLUSTER = ["tests/integration/cluster*.test.ts", "tests/integration/leaf-cluster.test.ts"];
const PARALLEL = Number(process.env.LIAISON_TEST_WORKERS ?? 3);

export default defineConfig({
  test: {
    // The pinned nats-server, installed on first run (tests/support/global-setup.ts).
    globalSetup: ["tests/support/global-setup.ts"],
    projects: [
      { test: { name: "unit", include: ["tests/unit/**/*.test.ts"], testTimeout: 10_000, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      {
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          exclude: CLUSTER,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: "forks",
          maxWorkers: PARALLEL,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: "cluster",
          include: CLUSTER,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: "forks",
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
      {
        test: {
          name: "e2e",
          include: ["tests/e2e/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          pool: "forks",
          maxWorkers: 1,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
