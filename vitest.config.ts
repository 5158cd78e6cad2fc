import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["test/setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Vitest's default is one worker fewer than the cores: one on a 2-core CI machine, which then waits on every
    // spawned server, PostgreSQL round trip and browser in turn. Two files at once keep both cores busy; the long
    // e2e waits follow progress (test/support/wait.ts), so a file slowed by its neighbour is not failed for it.
    maxWorkers: 2,
  },
});
