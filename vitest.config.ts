import { availableParallelism } from "node:os";
import { configDefaults, defineConfig } from "vitest/config";

/**
 * Tests that build and run the image and the Compose stack. Their own project,
 * so the Docker engine is set up (and the image built, before any other test
 * starts) only when one of them is in the run.
 */
const DOCKER_TESTS = ["test/delivery-image.test.ts", "test/delivery-compose.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Child processes (servers, redis, promtool) must not be orphaned by a thread pool.
    pool: "forks",
    // Most of the slow files wait (timers, scrapes, idle sockets) rather than
    // compute: two workers even on a 2-core machine, where the default is one.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    reporters: ["default"],
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          include: ["{api,charts,test,scripts}/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...DOCKER_TESTS],
          globalSetup: ["test/support/global-setup.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "docker",
          include: DOCKER_TESTS,
          globalSetup: ["test/support/docker-global-setup.ts"],
        },
      },
    ],
  },
});
