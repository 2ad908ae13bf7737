import { readFile } from "node:fs/promises";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

/**
 * `import bytes from "./file.csv?bytes"` (or `import.meta.glob(..., { query: "?bytes" })`) gives a
 * file's exact bytes as a Uint8Array. Vite's `?raw` decodes as UTF-8, which would mangle the
 * Windows-1252, UTF-16 and binary import fixtures; workerd cannot read them from disk itself.
 */
function fileBytes(): Plugin {
  return {
    name: "sluice:file-bytes",
    enforce: "pre",
    async load(id) {
      const [path, query] = id.split("?");
      if (query !== "bytes" || !path) return null;
      this.addWatchFile(path);
      const base64 = (await readFile(path)).toString("base64");
      return `export default Uint8Array.from(atob(${JSON.stringify(base64)}), (c) => c.charCodeAt(0));`;
    },
  };
}

/** Worker tests run inside workerd with the bindings of wrangler.toml and a fresh D1 per test file. */
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      fileBytes(),
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
