import { defineConfig } from "vitest/config";

/** Tests that run on Node: the relay's units and the end-to-end suites that start the real stack. */
export default defineConfig({
  test: {
    include: ["relay/**/*.test.ts", "scripts/**/*.test.ts", "test/**/*.test.ts", "web/**/*.e2e.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
