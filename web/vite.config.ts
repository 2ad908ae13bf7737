import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * The interactive API docs (`/api/docs`, served by the Worker) load Swagger UI from our own
 * origin: the CSP allows nothing else, and the product must work without internet.
 */
function swaggerUi(): Plugin {
  return {
    name: "sluice-swagger-ui",
    apply: "build",
    closeBundle() {
      const pkg = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
      const out = join(root, "dist/vendor/swagger-ui");
      mkdirSync(out, { recursive: true });
      for (const file of ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"]) {
        copyFileSync(join(pkg, file), join(out, file));
      }
      writeFileSync(
        join(out, "init.js"),
        'window.ui = SwaggerUIBundle({ url: "/api/v1/openapi.json", dom_id: "#swagger-ui", deepLinking: true, tryItOutEnabled: false });\n',
      );
    },
  };
}

/** The admin UI builds to web/dist, which the Worker serves as static assets (see wrangler.toml). */
export default defineConfig({
  root,
  plugins: [react(), swaggerUi()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // No inline <script>/<style>: the pages' CSP is `default-src 'self'` (see public/_headers).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2022",
  },
  server: {
    // `vite --config web/vite.config.ts` during development proxies the API to a local `wrangler dev`.
    proxy: {
      "/api": "http://127.0.0.1:8787",
      "/healthz": "http://127.0.0.1:8787",
    },
  },
});
