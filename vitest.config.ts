import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{api,charts,test,scripts}/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Child processes (servers, redis, promtool) must not be orphaned by a thread pool.
    pool: "forks",
    reporters: ["default"],
  },
});
