import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/** Worker tests run inside workerd with the bindings of wrangler.toml and a fresh D1 per test file. */
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        main: "./worker/index.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            SLUICE_ENV: "development",
            CREDENTIALS_KEY: "test-credentials-key-0123456789abcdefghijklmnop",
            RELAY_TOKEN: "test-relay-token-0123456789abcdefghijklmnopqrst",
            OPERATOR_TOKEN: "test-operator-token-0123456789abcdefghijklmnop",
          },
        },
      }),
    ],
    test: {
      include: ["worker/**/*.test.ts"],
      // Generous: these run real workerd, D1 and queues, often on a busy 2-core machine.
      testTimeout: 30_000,
      setupFiles: ["./worker/test/apply-migrations.ts"],
    },
  };
});
